"""Public transport from GTFS timetables.

- :mod:`.gtfs`, :mod:`.gtfs_times`: reading and validating a feed into arrays;
- :mod:`.storage`: feeds in the database (import, list, remove, load);
- :mod:`.timetable`: the connections running on a date (calendar exceptions,
  trips past midnight, frequencies expanded) across all loaded feeds;
- :mod:`.routing`: earliest arrival (Connection Scan, compiled with numba)
  with walking access, egress and transfers, over departure windows.
"""
