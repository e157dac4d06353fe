"""Summaries read straight from SQL: what a store holds, so nothing is pooled unseen."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

HOLDINGS_QUERY = """
SELECT suite, task, prompt_name, prompt_hash, condition, sampling_json, seed_base,
       COUNT(DISTINCT model) AS models,
       GROUP_CONCAT(DISTINCT form) AS forms,
       COUNT(*) AS attempts,
       SUM(status = 'ok') AS ok,
       SUM(status = 'error') AS errors,
       GROUP_CONCAT(DISTINCT run_id) AS runs,
       GROUP_CONCAT(DISTINCT source) AS sources
FROM attempts
GROUP BY suite, task, prompt_hash, condition
ORDER BY suite, task, MIN(created_at)
"""


def holdings_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    """One row per suite × task × prompt × condition, with counts and the runs involved."""
    import pandas as pd

    return pd.read_sql_query(HOLDINGS_QUERY, conn)
