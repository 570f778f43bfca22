"""Where one nnlab run's time goes, phase by phase, beside the arithmetic floor of this machine.

    python benchmarks/profile_run.py --data-dir ../shared/datasets                  # reuters 2x64
    python benchmarks/profile_run.py --config configs/imdb_layers.yaml --variant hidden_layers-2

Prints seconds per phase (import, data, model set-up, first-epoch tracing, steady epochs split into
training steps and validation, retrain, test evaluation, figure, writes), the measured float32 matmul
throughput and memory bandwidth, and the floor they give one epoch: dense FLOPs of forward and backward
over the matmul rate, and the multi-hot first layer's bytes over the bandwidth. Run it alone on the
machine: it measures time.
"""

from __future__ import annotations

import argparse
import json
import time

STARTED = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="configs/reuters_units.yaml")
    parser.add_argument("--variant", default="units-64")
    parser.add_argument("--data-dir", default="../shared/datasets")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    phases: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        phases[name] = phases.get(name, 0.0) + now - clock[0]
        clock[0] = now

    import keras  # noqa: F401 (timed: every process pays the import once)
    import numpy as np
    import tensorflow as tf
    phases["python start + import tensorflow, keras"] = time.perf_counter() - STARTED
    clock[0] = time.perf_counter()

    from nnlab import drawing, plots, results
    from nnlab.config import load_study
    from nnlab.data import encode_labels, load_dataset, split_validation
    from nnlab.selection import Rule
    from nnlab.training import Trainer, epoch_order
    lap("import nnlab (matplotlib)")

    study = load_study(args.config)
    variant = next(v for v in study.variants if v.id == args.variant)
    config = variant.config
    data = load_dataset(config.dataset, args.data_dir)
    x_train, y_train, x_val, y_val = split_validation(data.x_train, data.y_train, config.validation, data.full_train_size)
    labels = lambda y: encode_labels(y, data.num_classes, config.loss)
    lap("data: read .npz, Keras transform, multi-hot, split")

    trainer = Trainer(config, args.seed, data.num_classes, x_train)
    program = trainer.program  # the model, optimizer and graphs of the run's shape
    inputs, train_labels = program.tensors(x_train, labels(y_train))
    held_out = program.tensors(x_val, labels(y_val))
    program.restart(len(x_train), trainer._rate)
    lap("model, optimizer, data to tensors")

    order = tf.constant(epoch_order(args.seed, 0, len(x_train)))
    program.epoch_graph(inputs, train_labels, order)
    lap("first epoch (tracing + graph optimisation + one epoch)")
    program.evaluate_graph(*held_out)
    lap("first validation (tracing + one pass)")
    steady = 5
    for epoch in range(1, 1 + steady):
        program.epoch_graph(inputs, train_labels, tf.constant(epoch_order(args.seed, epoch, len(x_train))))
        lap("steady epochs: training steps")
        program.evaluate_graph(*held_out)
        lap("steady epochs: validation")

    search, _ = trainer.fit(x_train, labels(y_train), config.epochs, validation=(x_val, labels(y_val)))
    lap("search: full fit (epochs x steady epoch)")
    best = Rule.of(config.selection).best_epoch(search)
    trainer.fit(data.x_train, labels(data.y_train), best)
    lap("retrain: fit on train + validation")
    trainer.evaluate(data.x_test, labels(data.y_test))
    lap("test evaluation")
    figure = drawing.png(plots.learning_curves(search, best, "profile"))
    lap("learning-curve figure (png; a run draws it in its retrain)")
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as folder:
        for name in ("search_history.json", "metrics.json", "provenance.json", "config.json"):
            results.write_json(Path(folder) / name, search)
        results.write_bytes(Path(folder) / "curves.png", figure)
    lap("writes (5 files, fsync + rename)")

    floor = arithmetic_floor(config, x_train, data.num_classes, np)
    steps = -(-len(x_train) // config.batch_size)
    per_epoch = {"training steps": phases["steady epochs: training steps"] / steady,
                 "validation": phases["steady epochs: validation"] / steady}
    print(f"\n{args.config} / {args.variant}: {len(x_train)} training examples, {steps} steps of {config.batch_size}, "
          f"{config.epochs} search epochs, retrain {best}")
    print(f"{'phase':<58} {'seconds':>8}")
    for name, seconds in phases.items():
        print(f"{name:<58} {seconds:>8.3f}")
    print(f"{'total':<58} {sum(phases.values()):>8.3f}")
    print(f"\nsteady epoch: {per_epoch['training steps']:.3f} s training ({1000 * per_epoch['training steps'] / steps:.2f} ms/step) "
          f"+ {per_epoch['validation']:.3f} s validation")
    print(f"machine: float32 matmul {floor['matmul_gflops']:.0f} GFLOP/s, memory copy {floor['bandwidth_gbs']:.1f} GB/s")
    print(f"floor, dense model (the book's): {floor['dense_gflop_per_epoch']:.1f} GFLOP/epoch -> {floor['dense_floor_s']:.3f} s/epoch")
    print(f"floor, multi-hot first layer:    {floor['sparse_gflop_per_epoch']:.2f} GFLOP + {floor['sparse_mb_per_epoch']:.0f} MB/epoch "
          f"-> {floor['sparse_floor_s']:.3f} s/epoch")
    if args.json:
        Path(args.json).write_text(json.dumps({"config": args.config, "variant": args.variant, "phases": phases,
                                               "per_epoch": per_epoch, "steps_per_epoch": steps, "floor": floor}, indent=2))


def arithmetic_floor(config, x_train, num_classes: int, np) -> dict:
    """FLOPs (forward + backward = 3x forward's 2 per multiply-add) of one epoch, over this machine's
    measured matmul rate; for the multi-hot layer, the bytes it must move over the memory bandwidth."""
    rows, width = len(x_train), x_train.width
    widths = config.model.widths + [1 if num_classes == 2 else num_classes]
    dense_macs = rows * sum(a * b for a, b in zip([width] + widths[:-1], widths))
    first = widths[0]
    nnz = len(x_train.columns) if hasattr(x_train, "columns") else rows * width
    sparse_macs = nnz * first + rows * sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    # multi-hot layer: gather nnz kernel rows forward, scatter nnz rows backward (4-byte floats, read +
    # write), plus the optimizer's passes over the whole first kernel each step (~6 arrays' worth).
    steps = -(-rows // config.batch_size)
    sparse_bytes = 4 * (3 * nnz * first + 6 * steps * width * first)
    a = np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32)
    import tensorflow as tf
    ta = tf.constant(a)
    tf.matmul(ta, ta).numpy()
    t0 = time.perf_counter()
    for _ in range(10):
        tf.matmul(ta, ta).numpy()
    matmul_gflops = 10 * 2 * 2048 ** 3 / (time.perf_counter() - t0) / 1e9
    source, target = np.ones(64 << 20, dtype=np.uint8), np.zeros(64 << 20, dtype=np.uint8)
    np.copyto(target, source)  # touch every page first: page faults are not bandwidth
    t0 = time.perf_counter()
    for _ in range(5):
        np.copyto(target, source)
    bandwidth = 5 * 2 * source.nbytes / (time.perf_counter() - t0) / 1e9  # a copy reads and writes
    return {"matmul_gflops": matmul_gflops, "bandwidth_gbs": bandwidth,
            "dense_gflop_per_epoch": 6 * dense_macs / 1e9, "dense_floor_s": 6 * dense_macs / 1e9 / matmul_gflops,
            "sparse_gflop_per_epoch": 6 * sparse_macs / 1e9, "sparse_mb_per_epoch": sparse_bytes / 1e6,
            "sparse_floor_s": 6 * sparse_macs / 1e9 / matmul_gflops + sparse_bytes / 1e9 / bandwidth}


if __name__ == "__main__":
    main()
