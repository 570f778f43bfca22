"""Hyperparameter search: a study config's `search:` block, run by Optuna.

    spec.py       the block's schema: strategy, budget, validation metric, pruning, the space
    pruning.py    Optuna's pruner, asked inside the worker that trains the trial
    driver.py     the ask-and-tell loop: trials as runs on any executor, resume, the best retrained
    storage.py    Optuna's SQLite storage: opened or set aside, its faults, what the trials came to
    propose.py    the next settings: the grid in order, or Optuna's sampler (random, TPE, LIPO)
    outputs.py    what a search writes for the report: search.json, trials.csv, comparison.json
    figures.py    the best so far by trial, importances, the methods compared
    comparison.py, section.py   the study's part of the report

Why Optuna rather than KerasTuner: its storage keeps every finished trial in one SQLite file, so a
killed search resumes without redoing them (KerasTuner reruns interrupted trials from scratch and
cannot resume a grid search); its ask-and-tell interface lets nnlab train each trial as an ordinary
run, on the local executor or Ray, while one process writes the storage; its TPE sampler, median
pruner and parameter importances are the methods the course teaches; and it is released and
maintained (KerasTuner's last tagged release is from 2024).
"""
