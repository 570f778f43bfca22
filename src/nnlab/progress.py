"""What a person sees while runs train. Runs, wherever they execute, send events here:

    {"kind": "start", "tag": ...}                                    a run begins
    {"kind": "epoch", "tag": ..., "phase": ..., "epoch": ..., "epochs": ..., "logs": {...}}
    {"kind": "end", "tag": ..., "status": ..., "text": ..., "skipped": bool}
    {"kind": "note", "text": ...}                                    a line of the command's own
    {"kind": "warning", "text": ...}                                 something the user must hear of
                                                                     (a damaged file moved aside), --quiet too

and one of three displays shows them:

    Live     a terminal: a bar of runs done / total (skipped ones counted apart) with the time
             left, the runs in flight with their phase, epoch and latest figures, and a permanent
             line per finished run above them (rich)
    Lines    not a terminal (CI, a pipe, a file): a line per run phase and per finished run
    Quiet    --quiet: nothing while runs train; the command prints its summary tables

Each counts what finished in this command, for the message after Ctrl-C.
"""

from __future__ import annotations

import sys
import threading

FIGURES = ("loss", "accuracy", "val_loss", "val_accuracy")


def waited_for(event: dict) -> bool:
    """An end of a run another nnlab process holds: the command waits for it and takes it again, so
    it ends a second time; only that end is counted."""
    return event.get("status") == "locked"


def figures(logs: dict) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in logs.items() if k in FIGURES and v is not None)


class Display:
    """Counts runs; subclasses show them."""

    def __init__(self):
        self.finished, self.skipped, self.not_ok = 0, 0, 0
        self._lock = threading.Lock()  # events come from the executor's reader thread too

    def __call__(self, event: dict) -> None:
        with self._lock:
            if event["kind"] == "end" and not waited_for(event):
                if event.get("skipped"):
                    self.skipped += 1
                else:
                    self.finished += 1
                    self.not_ok += event.get("status") not in ("ok", "pruned")
            self.show(event)

    def show(self, event: dict) -> None:
        raise NotImplementedError

    def line(self, text: str) -> None:
        """A line of the command's own (a study's header): shown as a note."""
        self({"kind": "note", "text": text})

    def summary(self, text: str) -> None:
        """A line of a summary: shown in every mode, --quiet included."""
        _write_line(text)

    def expect(self, runs: int) -> None:
        """The runs a suite or study will have, for the bar."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


class Quiet(Display):
    def show(self, event: dict) -> None:
        if event["kind"] == "warning":
            print(f"warning: {event['text']}", file=sys.stderr, flush=True)


class Lines(Display):
    """One line per run phase (when the phase ends) and per finished run; notes as they come."""

    def __init__(self, write=None):
        super().__init__()
        self._write = write or _write_line
        self._last: dict[str, dict] = {}  # the latest epoch event of each run in flight

    def show(self, event: dict) -> None:
        kind, tag = event["kind"], event.get("tag")
        if kind == "note":
            self._write(event["text"])
        elif kind == "warning":
            self._write(f"warning: {event['text']}")
        elif kind == "epoch":
            last = self._last.get(tag)
            if last and last["phase"] != event["phase"]:
                self._phase_line(last)
            self._last[tag] = event
        elif kind == "end":
            if tag in self._last:
                self._phase_line(self._last.pop(tag))
            self._write(f"{tag}: {event['text']}")

    def _phase_line(self, event: dict) -> None:
        ended = "" if event["epoch"] == event["epochs"] else f" (stopped at {event['epoch']})"
        self._write(f"{event['tag']} {event['phase']}: {event['epoch']}/{event['epochs']} epochs{ended}  {figures(event['logs'])}")


class Live(Display):
    """rich's live display on a terminal."""

    def __init__(self):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        super().__init__()
        self.console = Console()
        self._bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[skipped]}"), TimeElapsedColumn(), TextColumn("left"),
                             TimeRemainingColumn(), console=self.console)
        self._task = self._bar.add_task("runs", total=None, skipped="")
        self._active: dict[str, str] = {}
        self._live = None

    def summary(self, text: str) -> None:
        with self._lock:
            self.console.print(text, markup=False, highlight=False)

    def expect(self, runs: int) -> None:
        total = self._bar.tasks[0].total or 0
        self._bar.update(self._task, total=total + runs)

    def __enter__(self):
        from rich.live import Live as RichLive

        # transient: the bar and the runs in flight go when the command ends; the lines printed stay
        self._live = RichLive(self._render(), console=self.console, refresh_per_second=8, transient=True,
                              redirect_stdout=False, redirect_stderr=False)
        self._live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._live.__exit__(*exc)

    def show(self, event: dict) -> None:
        kind, tag = event["kind"], event.get("tag")
        if kind == "note":
            self.console.print(event["text"], markup=False, highlight=False)
        elif kind == "warning":
            self.console.print(f"warning: {event['text']}", style="yellow", markup=False, highlight=False)
        elif kind == "start":
            self._active[tag] = "starting"
        elif kind == "epoch":
            self._active[tag] = f"{event['phase']} epoch {event['epoch']}/{event['epochs']}  {figures(event['logs'])}"
        elif kind == "end":
            self._active.pop(tag, None)
            style = "" if event.get("status") in ("ok", "pruned") else "bold red"
            self.console.print(f"{tag}: {event['text']}", style=style, markup=False, highlight=False)
            skipped = f"({self.skipped} already complete)" if self.skipped else ""
            self._bar.update(self._task, advance=0 if waited_for(event) else 1, skipped=skipped)
        if self._live is not None:
            self._live.update(self._render())

    def _render(self):
        from rich.console import Group
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        for tag, state in self._active.items():
            table.add_row(f"[cyan]{tag}[/]", state)
        return Group(self._bar, table)


def choose(quiet: bool, verbose: bool = False) -> Display:
    if quiet:
        return Quiet()
    if sys.stdout.isatty() and not verbose:  # --verbose: TensorFlow's lines would tear a live display
        return Live()
    return Lines()


def _write_line(line: str) -> None:
    """One write per line, so lines from threads never splice; a closed pipe loses the line, never the run."""
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except OSError:
        pass


class Notebook(Display):
    """A Jupyter cell: one bar of runs done / total that updates in place (tqdm's notebook widget
    where ipywidgets is installed, else a text bar redrawn on one line), the run in flight and its
    epoch beside it; warnings printed; no line per epoch or per run. The bar appears with the first
    run that trains: a call that finds every run finished shows one sentence instead, not an empty bar."""

    def __init__(self):
        super().__init__()
        self._bar = None
        self._total = 0  # the runs expected, for the bar's total

    def summary(self, text: str) -> None:
        pass  # the notebook shows the returned tables instead

    def expect(self, runs: int) -> None:
        self._total += runs
        if self._bar is not None:
            self._bar.total = self._total
            self._bar.refresh()

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(f"{self.finished} trained, {self.skipped} already complete", refresh=False)
            self._bar.close()
            return
        if exc[0] is not None:
            return  # stopped before any run trained: the error says why
        if self.skipped:
            every = f"{self.skipped} runs were" if self.skipped != self._total else (
                "the run was" if self.skipped == 1 else f"all {self.skipped} runs were")
            _write_line(f"nothing trained: {every} already complete (force=True trains again)")

    def _started(self):
        """The bar, made when the first run starts: the runs that ended before it (found complete) count as done."""
        if self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self._total or None, initial=self.finished + self.skipped, desc="runs", unit="run",
                             leave=True)
        return self._bar

    def show(self, event: dict) -> None:
        kind = event["kind"]
        if kind == "warning":
            if self._bar is not None:
                self._bar.write(f"warning: {event['text']}")
            else:
                _write_line(f"warning: {event['text']}")
        elif kind == "start":
            self._started()
        elif kind == "epoch":
            self._started().set_postfix_str(f"{event['tag']} {event['phase']} epoch {event['epoch']}/{event['epochs']}")
        elif kind == "end" and self._bar is not None and not waited_for(event):  # a waited-for run ends again later
            self._bar.update(1)
