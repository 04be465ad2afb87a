"""Detection exercises: scripted events injected into synthetic (or real) AIS traffic, and the
score of what the detectors found.

* :mod:`mda.exercise.scenario`: the scenario file (TOML) and its loader;
* :mod:`mda.exercise.generate`: the seeded generator (NMEA with tag blocks, ground truth);
* :mod:`mda.exercise.score`: per-kind true and false positives, misses and detection delay;
* :mod:`mda.exercise.replay`: a generated exercise through the embedded pipeline.

Library code only: nothing here prints or reads the wall clock; every time comes from the
scenario. The format is documented in ``docs/exercises.md``.
"""
