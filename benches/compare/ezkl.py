#!/usr/bin/env python3
"""Side-by-side benchmark of Tessera and ezkl (halo2 + KZG) on the same ONNX model and input.

What it measures, for every model and system, over --reps repetitions (medians are printed):

* the wall time of each pipeline step
    - ezkl:    gen_settings, calibrate_settings, compile_circuit, gen_srs (a dev SRS generated
               locally, never downloaded), setup, gen_witness, prove, verify;
    - Tessera: compile, setup (--insecure-dev-srs), prove (witness included), verify;
* the proof size, the proving-key size and the verifying-key size, in bytes;
* the peak resident memory (max RSS) of the prove step and of the heaviest step;
* the ratios ezkl / Tessera of prove time and of verify time.

Each step runs in its own child process and its peak RSS is that child's ru_maxrss, read with
os.wait4. ezkl times are taken inside the child around the ezkl call (interpreter start-up and
`import ezkl` are left out); Tessera times are the wall time of the CLI process. ezkl proves one
input; Tessera proves the same input at batch 1 and, for the CNN, a batch of 64 test images in one
proof. The two systems alternate inside every repetition, and the order flips from one repetition
to the next, so machine noise hits both.

The script lowers its own priority to nice 10, then re-runs itself inside benches/compare/.venv,
which it creates and fills from requirements.txt (pinned ezkl) on first use.

    python3 benches/compare/ezkl.py                      # both systems, both digits models
    python3 benches/compare/ezkl.py --only ezkl --reps 1 # ezkl alone
"""

import argparse
import hashlib
import importlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
VENV = HERE / ".venv"
REQUIREMENTS = HERE / "requirements.txt"
TESSERA_BIN = REPO / "target" / "release" / "tessera"
NICENESS = 10

EZKL_STEPS = ("gen_settings", "calibrate", "compile_circuit", "gen_srs", "setup", "gen_witness",
              "prove", "verify")
TESSERA_STEPS = ("compile", "setup", "prove", "verify")
ROW_ORDER = ("gen_settings", "calibrate", "compile_circuit", "compile", "gen_srs", "setup",
             "gen_witness", "prove", "verify")
DEFAULT_MODELS = ("digits_mlp", "digits_cnn")
# Tessera's batch sizes per model when --batches is not given (issue 9's targets).
DEFAULT_BATCHES = {"digits_cnn": (1, 64)}


class StepFailed(RuntimeError):
    """A pipeline step exited non-zero or produced something unusable."""


# --------------------------------------------------------------------------------------------
# command line, priority and virtualenv


def parse_args(argv):
    """Parse the command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS),
                   help="model folders under models/ (or paths); default: %(default)s")
    p.add_argument("--reps", type=int, default=3, help="repetitions per system (default 3)")
    p.add_argument("--only", choices=("ezkl", "tessera"), help="run one system only")
    p.add_argument("--batches", help="Tessera batch sizes, comma separated, for every model "
                   "(default: 1, and 1,64 for digits_cnn)")
    p.add_argument("--example", type=int, default=0,
                   help="index of the test-set example proved (batches start there); default 0")
    p.add_argument("--build", action="store_true",
                   help="cargo build --release -p tessera-runtime before measuring")
    p.add_argument("--tessera", type=Path, default=TESSERA_BIN, help="Tessera binary")
    p.add_argument("--work", type=Path, default=HERE / ".work",
                   help="artifact directory (wiped per run); default: %(default)s")
    p.add_argument("--json", type=Path, help="also write every raw measurement to this file")
    p.add_argument("--ezkl-step", help=argparse.SUPPRESS)  # internal: run one ezkl step
    p.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--model-file", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.reps < 1:
        p.error("--reps must be at least 1")
    return args


def be_nice():
    """Lower this process (and so every child) to nice NICENESS, unless already lower."""
    current = os.nice(0)
    if current < NICENESS:
        os.nice(NICENESS - current)


def venv_python():
    """The interpreter of the private virtualenv."""
    return VENV / "bin" / "python"


def in_venv():
    """True when this interpreter is the private virtualenv's."""
    return Path(sys.prefix).resolve() == VENV.resolve()


def ensure_venv():
    """Create the virtualenv if missing and install requirements.txt when it changed."""
    if not venv_python().exists():
        print(f"creating virtualenv {VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    stamp = VENV / ".requirements.sha256"
    if stamp.exists() and stamp.read_text().strip() == digest:
        return
    print(f"installing {REQUIREMENTS.name} into {VENV}", file=sys.stderr)
    subprocess.run([str(venv_python()), "-m", "pip", "install", "--disable-pip-version-check",
                    "-q", "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(digest + "\n")


def reexec_in_venv(argv):
    """Replace this process by the same script run with the virtualenv's interpreter."""
    python = str(venv_python())
    os.execv(python, [python, str(Path(__file__).resolve()), *argv])


# --------------------------------------------------------------------------------------------
# models and inputs


def model_dir(name):
    """Resolve a model argument: a folder under models/ or a path."""
    path = Path(name)
    if not path.is_dir():
        path = REPO / "models" / name
    if not (path / "model.onnx").is_file() or not (path / "test_set.json").is_file():
        raise SystemExit(f"error: {path} lacks model.onnx or test_set.json")
    return path


def load_test_set(path):
    """Read test_set.json: input name, per-example shape and the list of examples."""
    data = json.loads((path / "test_set.json").read_text())
    return data["input"]["name"], data["input"]["shape_per_example"], data["examples"]


def nest(flat, shape):
    """Reshape a flat row-major list into nested lists of the given shape."""
    if len(shape) <= 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def pick_examples(examples, start, count):
    """`count` consecutive example inputs from index `start` (flat lists)."""
    if start + count > len(examples):
        raise SystemExit(f"error: the test set has {len(examples)} examples, "
                         f"need {start + count}")
    return [e["input"] for e in examples[start:start + count]]


def write_ezkl_input(path, flat):
    """ezkl's data file: one flat list per model input."""
    path.write_text(json.dumps({"input_data": [flat]}))


def write_tessera_input(path, name, shape_per_example, flats):
    """Tessera's input file: {name: [entry, ...]}, the leading axis being the batch."""
    entry_shape = shape_per_example[1:]  # shape_per_example carries the model's batch axis of 1
    path.write_text(json.dumps({name: [nest(f, entry_shape) for f in flats]}))


# --------------------------------------------------------------------------------------------
# measured child processes


def run_measured(cmd, log_path, cwd=None):
    """Run `cmd` with output to `log_path`; return (wall seconds, peak RSS bytes, exit code)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=log, stderr=subprocess.STDOUT,
                                cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss * 1024, proc.returncode


def log_tail(log_path, lines=15):
    """The last lines of a step's log, for error messages."""
    text = log_path.read_text(errors="replace").rstrip().splitlines()
    return "\n".join("    " + line for line in text[-lines:])


def check_step(name, code, log_path):
    """Raise StepFailed with the log's tail when a step exited non-zero."""
    if code != 0:
        raise StepFailed(f"{name} exited with code {code}; log {log_path}:\n{log_tail(log_path)}")


def file_size(path):
    """Size of a file a step should have written."""
    if not path.is_file():
        raise StepFailed(f"expected output {path} is missing")
    return path.stat().st_size


# --------------------------------------------------------------------------------------------
# ezkl: each step runs in a child, i.e. this script with --ezkl-step


def import_ezkl():
    """Import the ezkl package, not this file (which is also named ezkl.py)."""
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    return importlib.import_module("ezkl")


def ezkl_paths(work):
    """Where every ezkl artifact of one pipeline lives."""
    names = {"input": "input.json", "settings": "settings.json", "circuit": "network.ezkl",
             "srs": "kzg.srs", "pk": "pk.key", "vk": "vk.key", "witness": "witness.json",
             "proof": "proof.json"}
    return {k: str(work / v) for k, v in names.items()}


def ezkl_run_args(ezkl):
    """Run arguments matching Tessera's proofs: public input and output, weights in the circuit."""
    run_args = ezkl.PyRunArgs()
    run_args.input_visibility = "public"
    run_args.output_visibility = "public"
    run_args.param_visibility = "fixed"
    return run_args


def ezkl_logrows(settings_path):
    """The circuit size (log2 rows) chosen by calibration."""
    return json.loads(Path(settings_path).read_text())["run_args"]["logrows"]


def ezkl_call(ezkl, step, f, model):
    """Call one ezkl pipeline step; return what ezkl returned."""
    if step == "gen_settings":
        return ezkl.gen_settings(str(model), f["settings"], py_run_args=ezkl_run_args(ezkl))
    if step == "calibrate":
        return ezkl.calibrate_settings(f["input"], str(model), f["settings"], target="resources")
    if step == "compile_circuit":
        return ezkl.compile_circuit(str(model), f["circuit"], f["settings"])
    if step == "gen_srs":
        ezkl.gen_srs(f["srs"], ezkl_logrows(f["settings"]))
        return True
    if step == "setup":
        return ezkl.setup(f["circuit"], f["vk"], f["pk"], srs_path=f["srs"])
    if step == "gen_witness":
        return ezkl.gen_witness(f["input"], f["circuit"], f["witness"])
    if step == "prove":
        return ezkl.prove(f["witness"], f["circuit"], f["pk"], f["proof"], srs_path=f["srs"])
    if step == "verify":
        return ezkl.verify(f["proof"], f["settings"], f["vk"], srs_path=f["srs"])
    raise ValueError(f"unknown ezkl step {step}")


def ezkl_child(step, work, model):
    """Child-process entry: run one ezkl step, write its in-process time; exit status 0 if ok."""
    ezkl = import_ezkl()
    start = time.perf_counter()
    result = ezkl_call(ezkl, step, ezkl_paths(work), model)
    seconds = time.perf_counter() - start
    (work / f"{step}.seconds").write_text(f"{seconds}\n")
    if not result:
        print(f"ezkl {step} returned {result!r}", file=sys.stderr)
        return 1
    return 0


def ezkl_proof_bytes(proof_json):
    """Length of the raw halo2 proof inside ezkl's proof.json (not the JSON file's size)."""
    proof = json.loads(Path(proof_json).read_text())["proof"]
    if isinstance(proof, str):
        return len(bytes.fromhex(proof.removeprefix("0x")))
    return len(proof)


def run_ezkl(model_path, work, examples, start):
    """The full ezkl pipeline on one input; return one repetition's measurements."""
    f = ezkl_paths(work)
    write_ezkl_input(Path(f["input"]), pick_examples(examples, start, 1)[0])
    script = Path(__file__).resolve()
    steps = {}
    for step in EZKL_STEPS:
        cmd = [venv_python(), script, "--ezkl-step", step, "--dir", work,
               "--model-file", model_path / "model.onnx"]
        log = work / "logs" / f"{step}.log"
        wall, rss, code = run_measured(cmd, log)
        check_step(f"ezkl {step}", code, log)
        seconds = float((work / f"{step}.seconds").read_text())
        steps[step] = {"seconds": seconds, "process_seconds": wall, "rss": rss}
        progress("ezkl", step, seconds, rss)
    return {"steps": steps, "proof_bytes": ezkl_proof_bytes(f["proof"]),
            "proof_bytes_no_public": ezkl_proof_bytes(f["proof"]),
            "proof_file_bytes": file_size(Path(f["proof"])), "pk_bytes": file_size(Path(f["pk"])),
            "vk_bytes": file_size(Path(f["vk"])), "logrows": ezkl_logrows(f["settings"])}


# --------------------------------------------------------------------------------------------
# Tessera: the CLI of issue 8


def build_tessera():
    """cargo build --release -p tessera-runtime in this worktree."""
    print("building target/release/tessera ...", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "-p", "tessera-runtime"], cwd=REPO, check=True)


def check_tessera(binary):
    """Fail with a clear message unless `binary` has the compile/setup/prove/verify commands."""
    if not binary.is_file():
        raise SystemExit(f"error: {binary} does not exist; build it (pass --build) or run "
                         f"with --only ezkl")
    missing = []
    for sub in TESSERA_STEPS:
        probe = subprocess.run([str(binary), sub, "--help"], capture_output=True, timeout=60)
        if probe.returncode != 0:
            missing.append(sub)
    if missing:
        raise SystemExit(f"error: {binary} has no subcommand(s) {', '.join(missing)}: the CLI of "
                         f"issue 8 (tessera compile/setup/prove/verify) is not in this build. "
                         f"Rebuild with --build once it is merged, or run with --only ezkl.")


def tessera_commands(binary, model_path, work, batch):
    """The four CLI invocations of one Tessera pipeline, per issue 8's contract."""
    out = work / "keys"
    proof = work / "proof.bin"
    return {
        "compile": [binary, "compile", model_path / "model.onnx", "--out", out,
                    "--batch", str(batch)],
        "setup": [binary, "setup", out, "--insecure-dev-srs"],
        "prove": [binary, "prove", out, "--input", work / "input.json", "--proof", proof],
        "verify": [binary, "verify", "--vk", out / "vk.bin", "--proof", proof],
    }


def tessera_proof_without_public(binary, proof):
    """Proof bytes minus the public inputs and outputs it carries, from `tessera inspect`."""
    out = subprocess.run([binary, "inspect", proof], capture_output=True, text=True, check=True)
    match = re.search(r"the rest of the proof: (\d+) B", out.stdout)
    if match is None:
        sys.exit(f"tessera inspect {proof}: no 'the rest of the proof' line in its output")
    return int(match.group(1))


def run_tessera(binary, model_path, work, test_set, start, batch):
    """The full Tessera pipeline on `batch` inputs; return one repetition's measurements."""
    name, shape, examples = test_set
    write_tessera_input(work / "input.json", name, shape, pick_examples(examples, start, batch))
    steps = {}
    for step, cmd in tessera_commands(binary, model_path, work, batch).items():
        log = work / "logs" / f"{step}.log"
        wall, rss, code = run_measured(cmd, log)
        check_step(f"tessera {step}", code, log)
        steps[step] = {"seconds": wall, "process_seconds": wall, "rss": rss}
        progress(f"tessera b{batch}", step, wall, rss)
    return {"steps": steps, "proof_bytes": file_size(work / "proof.bin"),
            "proof_bytes_no_public": tessera_proof_without_public(binary, work / "proof.bin"),
            "pk_bytes": file_size(work / "keys" / "pk.bin"),
            "vk_bytes": file_size(work / "keys" / "vk.bin")}


# --------------------------------------------------------------------------------------------
# orchestration


def progress(system, step, seconds, rss):
    """One line per finished step."""
    print(f"    {system:<12} {step:<16} {fmt_seconds(seconds):>9}   peak RSS {fmt_bytes(rss)}",
          flush=True)


def fresh_dir(path):
    """An empty directory at `path`."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def batches_for(model_name, override):
    """Tessera batch sizes for one model."""
    if override:
        return tuple(int(b) for b in override.split(","))
    return DEFAULT_BATCHES.get(model_name, (1,))


def plan_configs(args):
    """Every (system, model, batch) to measure, grouped by model, in a fixed order."""
    systems = [args.only] if args.only else ["ezkl", "tessera"]
    configs = []
    for name in args.models:
        path = model_dir(name)
        for system in systems:
            batches = (1,) if system == "ezkl" else batches_for(path.name, args.batches)
            configs.extend((system, path, b) for b in batches)
    return configs


def order_for_rep(configs, rep):
    """Alternate the systems: within each model, ezkl first on even reps, Tessera first on odd."""
    if rep % 2 == 0:
        return configs
    ordered = []
    for path in dict.fromkeys(p for _, p, _ in configs):
        group = [c for c in configs if c[1] == path]
        ordered.extend(c for c in group if c[0] != "ezkl")
        ordered.extend(c for c in group if c[0] == "ezkl")
    return ordered


def run_config(args, config, test_sets):
    """One repetition of one (system, model, batch)."""
    system, path, batch = config
    work = fresh_dir(args.work / path.name / (system if system == "ezkl" else f"tessera-b{batch}"))
    if system == "ezkl":
        return run_ezkl(path, work, test_sets[path][2], args.example)
    return run_tessera(args.tessera, path, work, test_sets[path], args.example, batch)


def run_all(args, configs):
    """All repetitions, alternating systems; return {config: [measurements per rep]}."""
    test_sets = {path: load_test_set(path) for _, path, _ in configs}
    results = {c: [] for c in configs}
    for rep in range(args.reps):
        for config in order_for_rep(configs, rep):
            system, path, batch = config
            print(f"[rep {rep + 1}/{args.reps}] {path.name}: {system} batch {batch}", flush=True)
            results[config].append(run_config(args, config, test_sets))
    return results


# --------------------------------------------------------------------------------------------
# report


def fmt_seconds(s):
    """Seconds as ms below one second."""
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def fmt_bytes(n):
    """Bytes with a binary-prefixed unit."""
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.2f} GiB"


def median_step(reps, step, key="seconds"):
    """Median over repetitions of one step's measurement, or None if the step is not there."""
    values = [r["steps"][step][key] for r in reps if step in r["steps"]]
    return statistics.median(values) if values else None


def summarize(reps):
    """Medians of one configuration's repetitions."""
    steps = {s: median_step(reps, s) for s in ROW_ORDER}
    return {
        "steps": steps,
        "total": statistics.median(sum(x["seconds"] for x in r["steps"].values()) for r in reps),
        "proof_bytes": statistics.median(r["proof_bytes"] for r in reps),
        "proof_bytes_no_public": statistics.median(r["proof_bytes_no_public"] for r in reps),
        "pk_bytes": statistics.median(r["pk_bytes"] for r in reps),
        "vk_bytes": statistics.median(r["vk_bytes"] for r in reps),
        "prove_rss": median_step(reps, "prove", "rss"),
        "max_rss": statistics.median(max(x["rss"] for x in r["steps"].values()) for r in reps),
    }


def ratio(ezkl_value, tessera_value):
    """ezkl / Tessera as `12.3×`."""
    if ezkl_value is None or not tessera_value:
        return "—"
    return f"{ezkl_value / tessera_value:.1f}×"


def column_title(config):
    """Header of one configuration's column."""
    system, path, batch = config
    return f"{path.name} {system}" + ("" if system == "ezkl" else f" b{batch}")


def table_rows(configs, summaries):
    """The rows of the report: label followed by one cell per configuration."""
    rows = []
    for step in ROW_ORDER:
        if any(summaries[c]["steps"][step] is not None for c in configs):
            rows.append([step] + [cell(summaries[c]["steps"][step], fmt_seconds)
                                  for c in configs])
    rows.append(["total (all steps)"] + [fmt_seconds(summaries[c]["total"]) for c in configs])
    for key, label in (("proof_bytes", "proof bytes"),
                       ("proof_bytes_no_public", "proof bytes without public values"),
                       ("pk_bytes", "proving key bytes"),
                       ("vk_bytes", "verifying key bytes")):
        rows.append([label] + [f"{summaries[c][key]:,.0f}" for c in configs])
    rows.append(["peak RSS, prove"] + [cell(summaries[c]["prove_rss"], fmt_bytes)
                                       for c in configs])
    rows.append(["peak RSS, any step"] + [fmt_bytes(summaries[c]["max_rss"]) for c in configs])
    for step in ("prove", "verify"):
        rows.append([f"{step} time ezkl/Tessera"] + [ratio_cell(configs, summaries, c, step)
                                                     for c in configs])
    return rows


def cell(value, fmt):
    """A formatted value or a dash."""
    return "—" if value is None else fmt(value)


def ratio_cell(configs, summaries, config, step):
    """For a Tessera column, ezkl's median time of `step` on the same model over Tessera's."""
    system, path, _ = config
    ezkl_config = ("ezkl", path, 1)
    if system == "ezkl" or ezkl_config not in summaries:
        return "—"
    return ratio(summaries[ezkl_config]["steps"][step], summaries[config]["steps"][step])


def print_table(configs, results, reps):
    """Print the medians as one Markdown table, a column per (system, model, batch)."""
    summaries = {c: summarize(results[c]) for c in configs}
    header = [f"median of {reps}"] + [column_title(c) for c in configs]
    rows = [header, ["---"] + ["---:"] * len(configs)] + table_rows(configs, summaries)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    print()
    for row in rows:
        print("| " + " | ".join(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i])
                                for i, v in enumerate(row)) + " |")


def write_json(path, configs, results):
    """Raw measurements, one entry per configuration."""
    out = [{"system": s, "model": p.name, "batch": b, "reps": results[(s, p, b)]}
           for s, p, b in configs]
    path.write_text(json.dumps(out, indent=1) + "\n")


def main(argv):
    """Entry point: bootstrap the environment, measure, report."""
    args = parse_args(argv)
    if args.ezkl_step:
        return ezkl_child(args.ezkl_step, args.dir, args.model_file)
    be_nice()
    if not in_venv():
        ensure_venv()
        reexec_in_venv(argv)
    if args.only != "ezkl":
        if args.build:
            build_tessera()
        check_tessera(args.tessera)
    configs = plan_configs(args)
    try:
        results = run_all(args, configs)
    except StepFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print_table(configs, results, args.reps)
    if args.json:
        write_json(args.json, configs, results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
