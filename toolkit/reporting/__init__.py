"""Reporting: the only package that writes output files.

Cut by concern, as papermill cuts its own:

- ``options``: what a run is asked to do and the typed results its workers return
- ``run``: the run itself (no-op check, load once, fan out, publish each team)
- ``pool``: the run's workers (notebooks, printing), fed as each team finishes, every result back
- ``kernels``: worker processes and their kernels (warmed before the first team), which never
  outlive the run
- ``execute``: one notebook executed and its page rendered in a worker
- ``printing``: the print pass: a page printed to PDF in a worker of its own
- ``gate``: the checks a page and a slice pass before publishing
- ``publish``: the output folder, the day's lock, staging, a team's publication as a transaction
- ``manifest``: which input every team's published files came from
- ``render``: HTML pages from Jinja2 templates, the page as printed (charts as JPEG pictures), and PDFs
- ``slices``: the figures model serialised per team, for the notebooks
- ``team`` (a package: ``data``, ``page_one``, ``appendix``, ``wording``), ``org``: the sections the
  report notebooks show, built from a slice
- ``blocks``: the HTML block a section returns, and the words the team and org pages share
- ``exports``: spreadsheet-safe, atomic file writes
"""
