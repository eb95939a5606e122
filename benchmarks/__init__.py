"""The performance benchmarks of issue 6: ``python -m benchmarks`` (or ``make bench``).

Each benchmark measures a figure and, in the same run on the same machine, the baseline it is
judged against (what a user would write by hand, or the floor of what the machine can do), and
prints the ratio and whether the goal is met. Benchmarks are never timed tests: correctness
lives in ``tests/``.

=====  ==========  ====================================================================
  1    cold        cold fetch, 2,000 IDs at 150 ms latency: against the concurrency bound
                   and a sequential ``requests.get`` loop
  2    cpu         client CPU per task, cold and warm: against a plain ``requests.Session``
  3    warm        warm reload of 100,000 cached tasks: against a ``CachedSession`` reading
                   one by one, and a raw SQLite read + parse + frame build
  4    flatten     200,000 records to the DataFrame: against ``pd.json_normalize``
  5    analytics   summarize, error_groups, compare_models, timeline on 1,000,000 rows
  6    memory      the DataFrame at 1,000,000 rows, bytes per task beyond the prompt text
  7    dashboard   a filter change on 100,000 tasks recomputes every chart
=====  ==========  ====================================================================
"""
