"""The authoring tier: skeletons, notebooks, mutants, selftest, calibration, scaffolding and the kit.

Only instructors' commands import it; nothing imports it at grading time.
"""
