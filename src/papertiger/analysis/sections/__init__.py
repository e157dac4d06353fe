"""Extra report sections built from the same inputs as the shrinkage analysis.

Each builder takes what it needs (item counts, the selected attempts, score tables, the
options) and returns one typed result, or `Skipped(section, reason)`. `build_report`
calls the builders that apply to the source; every renderer prints every result through
`papertiger.render.sections`.
"""

__all__: list[str] = []
