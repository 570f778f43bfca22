"""A run computes with a fixed TensorFlow thread count whatever --jobs or the executor, and its
provenance says what decided its kernels (issue 34)."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import BASE
from nnlab import process, provenance
from nnlab.cli import main
from nnlab.config import command_line_overrides, load_study


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def provenance_of(run) -> dict:
    return json.loads((run / "provenance.json").read_text())


# --- fast: what the config, the key and the CPU facts say -----------------------------------------

def test_threads_default_to_one_and_stay_out_of_the_key_there(write_config):
    one = load_study(write_config(BASE)).variants[0].config
    written = load_study(write_config(BASE + "threads: 1\n", "written.yaml")).variants[0].config
    two = load_study(write_config(BASE + "threads: 2\n", "two.yaml")).variants[0].config
    assert one.threads == 1
    assert one.fingerprint() == written.fingerprint(), "the runs made one thread each before keep their keys"
    assert two.fingerprint() != one.fingerprint(), "another thread count changes the last digits: another run"


def test_a_command_that_mixes_thread_counts_is_refused_before_anything_trains(tmp_path, write_config):
    one, two = write_config(BASE), write_config(BASE.replace("name: tiny", "name: other") + "threads: 2\n", "two.yaml")
    result = invoke("run", one, two, "--results", tmp_path / "r")
    assert result.exit_code == 1
    assert "threads: one command computes at one thread count" in result.output and "two.yaml: 2" in result.output
    assert not (tmp_path / "r").exists()


def test_threads_from_the_command_line_override_the_config(write_config):
    study = load_study(write_config(BASE + "threads: 2\n"), command_line_overrides(threads=3))
    assert {v.config.threads for v in study.variants} == {3}


def test_the_cpu_facts_name_the_flags_that_decide_the_kernels():
    facts = provenance.parse_cpuinfo("vendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\nmodel name\t: Xeon\n"
                                     "flags\t\t: fpu sse4_1 avx avx2 fma avx512f avx512dq avx512bw avx512vl avx512_vnni "
                                     "avx512_bf16 avx512_fp16 amx_tile amx_int8 amx_bf16 pni\n")
    assert facts["vendor"] == "GenuineIntel" and facts["family"] == "6" and facts["model"] == "143"
    assert "pni" not in facts["flags"] and "amx_bf16" in facts["flags"]
    assert provenance.onednn_isa(facts["flags"]) == "avx512_core_amx"
    assert provenance.onednn_isa(facts["flags"], "AVX512_CORE") == "avx512_core"
    # TensorFlow's matrix products go through oneDNN's sgemm with its custom operations off too.
    assert provenance.onednn({"TF_ENABLE_ONEDNN_OPTS": "false"}, facts["flags"])["isa"] == "avx512_core_amx"


def test_a_process_keeps_the_thread_count_its_first_run_pinned(monkeypatch):
    monkeypatch.setattr(process, "_threads", 1)
    process.use_threads(1)  # the same count again: nothing to do
    with pytest.raises(process.Fatal, match="cannot switch to 2"):
        process.use_threads(2)


# --- slow: what TensorFlow and oneDNN actually do ---------------------------------------------------

ONEDNN_ISA_WORDS = {  # oneDNN's verbose line, by the level provenance.onednn_isa names
    "avx2": "Intel AVX2", "avx2_vnni": "Intel AVX2 with Intel DL Boost",
    "avx512_core": "Intel AVX-512 with AVX512BW, AVX512VL, and AVX512DQ extensions",
    "avx512_core_vnni": "Intel AVX-512 with Intel DL Boost",
    "avx512_core_bf16": "Intel AVX-512 with Intel DL Boost and bfloat16 support",
    "avx512_core_fp16": "Intel AVX-512 with float16, Intel DL Boost and bfloat16 support",
    "avx512_core_amx": "Intel AVX-512 with float16, Intel DL Boost and bfloat16 support and Intel AMX with bfloat16 and 8-bit integer support",
}


@pytest.mark.slow
@pytest.mark.parametrize(("cap", "custom_ops"), [(None, "1"), ("AVX2", "1"), (None, "0")])
def test_a_run_computes_with_one_thread_on_the_isa_its_provenance_names(tmp_path, write_config, cap, custom_ops):
    """oneDNN's own verbose lines: the threads it was given (nthr) and the instruction set it
    dispatched to, against what the run's provenance records; with TensorFlow's oneDNN custom
    operations off too, since its matrix products still run on oneDNN's sgemm."""
    if provenance.onednn()["isa"] is None:
        pytest.skip("not an x86 CPU oneDNN knows")
    environment = {k: v for k, v in os.environ.items() if k not in ("ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS")}
    environment.update(ONEDNN_VERBOSE="1", TF_ENABLE_ONEDNN_OPTS=custom_ops, **({"ONEDNN_MAX_CPU_ISA": cap} if cap else {}))
    done = subprocess.run([sys.executable, "-m", "nnlab.cli", "run", str(write_config(BASE)), "--results",
                           str(tmp_path / "r"), "--jobs", "1", "-q"], capture_output=True, text=True, env=environment,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    info = [line for line in done.stdout.splitlines() if line.startswith("onednn_verbose") and ",info,cpu," in line]
    if custom_ops == "1":  # off, Eigen calls oneDNN's sgemm outside TensorFlow's pool: oneDNN reports its own
        assert any(line.endswith("nthr:1") for line in info), info
    recorded = provenance_of(next((tmp_path / "r" / "tiny").glob("*/seed-0")))["environment"]
    assert recorded["threads"] == 1
    assert recorded["onednn"]["max_cpu_isa"] == cap and recorded["onednn"]["custom_ops"] == (custom_ops == "1")
    assert any(",primitive,exec,cpu,gemm_api," in line for line in done.stdout.splitlines())  # matrix products on oneDNN
    isa = recorded["onednn"]["isa"]
    assert isa in ONEDNN_ISA_WORDS, f"a level this test does not know yet: {isa}"
    assert any(line.endswith(f"isa:{ONEDNN_ISA_WORDS[isa]}") for line in info), (isa, info)
    assert recorded["cpu_facts"]["flags"] and recorded["cpu_facts"]["vendor"]


@pytest.mark.slow
@pytest.mark.parametrize("how", [("--jobs", "2"), ("--executor", "threads", "--jobs", "2"), ("--threads", "2")])
def test_every_executor_runs_at_the_configs_thread_count(tmp_path, write_config, how):
    config = write_config(BASE + "seeds: [0, 1]\n")
    assert invoke("run", config, "--results", tmp_path / "one", "--jobs", "1").exit_code == 0
    result = invoke("run", config, "--results", tmp_path / "other", *how)
    assert result.exit_code == 0, result.output
    for seed in (0, 1):
        one, other = (provenance_of(tmp_path / r / "tiny" / "default" / f"seed-{seed}") for r in ("one", "other"))
        wanted = 2 if "--threads" in how else 1
        assert other["environment"]["threads"] == wanted
        assert (other["run_key"] == one["run_key"]) == (wanted == 1)


@pytest.mark.parametrize("state, said", [({"commit": "c0ffee" * 7, "dirty": True}, "has uncommitted changes"),
                                         ({"commit": None, "dirty": None}, "not running from a git checkout")])
def test_require_clean_refuses_code_no_commit_can_repeat(tmp_path, write_config, monkeypatch, state, said):
    monkeypatch.setattr(provenance, "git_state", lambda: state)
    result = invoke("run", write_config(BASE), "--results", tmp_path / "r", "--require-clean")
    assert result.exit_code == 1 and said in result.output
    assert not (tmp_path / "r").exists()


def test_a_checkout_is_dirty_by_its_code_not_by_the_results_it_wrote(tmp_path):
    """make all-experiments rewrites the committed report's tables between suites: that must not make
    the next suite's --require-clean refuse, while a changed source file must."""
    git = lambda *args: subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)
    (tmp_path / "results").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "results" / "summary.csv").write_text("a\n")
    (tmp_path / "src" / "code.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "start")
    (tmp_path / "results" / "summary.csv").write_text("b\n")
    assert provenance.git_state(tmp_path / "src") == {"commit": provenance.git_state(tmp_path)["commit"], "dirty": False}
    (tmp_path / "src" / "code.py").write_text("x = 2\n")
    assert provenance.git_state(tmp_path / "src")["dirty"] is True


@pytest.mark.slow
def test_the_command_line_trains_on_every_core_by_default(tmp_path, write_config, monkeypatch):
    from nnlab.cli import cores

    monkeypatch.delenv("NNLAB_JOBS")
    result = invoke("run", write_config(BASE + "seeds: [0, 1, 2]\n"), "--results", tmp_path)
    assert result.exit_code == 0, result.output
    assert (f"{min(cores(), 3)} at a time" in result.output) == (cores() > 1), result.output
