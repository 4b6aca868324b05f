//! The `tessera` binary end to end on the digits MLP at batch 2, and every error path of its
//! contract: exit code 0 on success, 1 when a proof (or its public values) is rejected, 2 for
//! usage, file and format errors — each with a one-line message naming the file or field at fault.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

/// A fresh folder under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "tessera-cli-{tag}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(unique);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn mlp() -> PathBuf {
    root().join("models/digits_mlp")
}

fn tessera<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run tessera")
}

/// Asserts the exit code and that stderr (for failures) or stdout (for success) holds every
/// `needle`; returns the checked text.
#[track_caller]
fn expect<S: AsRef<OsStr>>(args: &[S], code: i32, needles: &[&str]) -> String {
    let out = tessera(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
    assert_eq!(
        out.status.code(),
        Some(code),
        "tessera {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        shown.join(" ")
    );
    let text = if code == 0 { stdout } else { stderr };
    for needle in needles {
        assert!(
            text.contains(needle),
            "tessera {}: expected {needle:?} in:\n{text}",
            shown.join(" ")
        );
    }
    text
}

/// The last line of stderr that carries the verdict (`error: …` or `rejected: …`).
fn verdict_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| l.starts_with("error: ") || l.starts_with("rejected: "))
        .unwrap_or_else(|| panic!("no error line in:\n{text}"))
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 temp path")
}

/// `{"input": [first two test images]}`.
fn input_json() -> Value {
    let set: Value = serde_json::from_str(
        &std::fs::read_to_string(mlp().join("test_set.json")).expect("test set"),
    )
    .expect("test set JSON");
    let examples = set["examples"].as_array().expect("examples");
    json!({ "input": [examples[0]["input"].clone(), examples[1]["input"].clone()] })
}

fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_string(v).expect("json")).expect("write json");
}

/// compile → setup → prove → verify, then every rejection and file error on those files.
#[test]
fn workflow_and_its_error_paths() {
    let t = TempDir::new("workflow");
    let dir = t.join("mlp");
    let model = mlp().join("model.onnx");
    expect(&["compile", p(&model), "--out", p(&dir), "--batch", "2"], 0, &["plan.bin", "batch 2"]);
    let setup = tessera(&["setup", p(&dir), "--insecure-dev-srs"]);
    assert_eq!(setup.status.code(), Some(0), "{}", String::from_utf8_lossy(&setup.stderr));
    // DESIGN §8.9: the binary warns, and so does the library (through `tracing`) when it builds
    // the dev SRS.
    let warned = String::from_utf8_lossy(&setup.stderr);
    assert!(warned.contains("anyone can forge proofs for these keys"), "CLI warning: {warned}");
    assert!(warned.contains("its trapdoor is public"), "library warning: {warned}");
    let input = t.join("in.json");
    write_json(&input, &input_json());
    let (proof, output) = (t.join("proof.bin"), t.join("out.json"));
    expect(
        &["prove", p(&dir), "--input", p(&input), "--proof", p(&proof), "--output", p(&output)],
        0,
        &["proof.bin", "out.json"],
    );
    let vk = dir.join("vk.bin");
    expect(&["verify", "--vk", p(&vk), "--proof", p(&proof)], 0, &["proof verified"]);
    expect(
        &[
            "verify",
            "--vk",
            p(&vk),
            "--proof",
            p(&proof),
            "--input",
            p(&input),
            "--output",
            p(&output),
        ],
        0,
        &["proof verified"],
    );

    // inspect: each of the four file kinds.
    for (file, kind) in [
        (dir.join("plan.bin"), "Tessera block plan"),
        (dir.join("pk.bin"), "Tessera proving key"),
        (vk.clone(), "Tessera verifying key"),
        (proof.clone(), "Tessera proof"),
    ] {
        expect(&["inspect", p(&file)], 0, &[kind, "digest"]);
    }

    // A claimed output changed in one entry: rejected (1), naming the output file.
    let mut out: Value = serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
    let first = &mut out["logits"][0][0];
    *first = json!(first.as_f64().expect("a logit") + 1.0);
    let bad_output = t.join("bad_out.json");
    write_json(&bad_output, &out);
    let text = expect(
        &["verify", "--vk", p(&vk), "--proof", p(&proof), "--output", p(&bad_output)],
        1,
        &["bad_out.json", "output logits differs"],
    );
    assert!(verdict_line(&text).starts_with("rejected: "), "{text}");

    // A claimed input changed in one entry: rejected (1), naming the input file.
    let mut changed = input_json();
    changed["input"][1][10] = json!(changed["input"][1][10].as_f64().unwrap() + 1.0);
    let bad_input = t.join("bad_in.json");
    write_json(&bad_input, &changed);
    let text = expect(
        &["verify", "--vk", p(&vk), "--proof", p(&proof), "--input", p(&bad_input)],
        1,
        &["bad_in.json", "input input differs"],
    );
    assert!(verdict_line(&text).starts_with("rejected: "), "{text}");

    // A proof with a flipped byte in its body: rejected (1) or corrupt (2), never accepted.
    let bytes = std::fs::read(&proof).unwrap();
    let flipped = t.join("flipped.bin");
    let mut f = bytes.clone();
    let at = bytes.len() - 40;
    f[at] ^= 0x01;
    std::fs::write(&flipped, &f).unwrap();
    let out = tessera(&["verify", "--vk", p(&vk), "--proof", p(&flipped)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(1) => assert!(verdict_line(&stderr).contains("flipped.bin"), "{stderr}"),
        Some(2) => {
            assert!(verdict_line(&stderr).contains("flipped.bin: corrupt proof"), "{stderr}")
        }
        other => panic!("flipped proof: exit {other:?}\n{stderr}"),
    }

    // A truncated proof: format error (2) naming the file.
    let truncated = t.join("truncated.bin");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let text = expect(
        &["verify", "--vk", p(&vk), "--proof", p(&truncated)],
        2,
        &["truncated.bin: corrupt proof"],
    );
    assert!(verdict_line(&text).starts_with("error: "), "{text}");
    let header_only = t.join("header.bin");
    std::fs::write(&header_only, &bytes[..10]).unwrap();
    expect(
        &["verify", "--vk", p(&vk), "--proof", p(&header_only)],
        2,
        &["header.bin: not a Tessera file"],
    );
    expect(&["inspect", p(&truncated)], 2, &["truncated.bin: corrupt proof"]);

    // Files of the wrong kind (2): a proof given as the verifying key, and the reverse.
    expect(
        &["verify", "--vk", p(&proof), "--proof", p(&proof)],
        2,
        &["proof.bin: is a proof, expected a verifying key"],
    );
    expect(
        &["verify", "--vk", p(&vk), "--proof", p(&vk)],
        2,
        &["vk.bin: is a verifying key, expected a proof"],
    );
    let pk_dir = t.join("pk_is_plan");
    std::fs::create_dir_all(&pk_dir).unwrap();
    std::fs::copy(dir.join("plan.bin"), pk_dir.join("pk.bin")).unwrap();
    expect(
        &["prove", p(&pk_dir), "--input", p(&input), "--proof", p(&t.join("x.bin"))],
        2,
        &["pk.bin: is a block plan, expected a proving key"],
    );

    // Not a Tessera file, missing files (2).
    expect(&["verify", "--vk", p(&vk), "--proof", p(&input)], 2, &["in.json: not a Tessera file"]);
    expect(&["inspect", p(&input)], 2, &["in.json: not a Tessera file"]);
    let missing = t.join("missing.bin");
    expect(&["verify", "--vk", p(&vk), "--proof", p(&missing)], 2, &["missing.bin"]);
    expect(&["verify", "--vk", p(&missing), "--proof", p(&proof)], 2, &["missing.bin"]);
    expect(&["inspect", p(&missing)], 2, &["missing.bin"]);
    expect(
        &["prove", p(&t.join("nowhere")), "--input", p(&input), "--proof", p(&t.join("x.bin"))],
        2,
        &["pk.bin"],
    );
    expect(&["setup", p(&t.join("nowhere")), "--insecure-dev-srs"], 2, &["plan.bin"]);
    expect(
        &["verify", "--vk", p(&vk), "--proof", p(&proof), "--output", p(&t.join("none.json"))],
        2,
        &["none.json"],
    );
    expect(&["setup", p(&dir), "--srs", p(&input)], 2, &["in.json"]);

    // Input JSON that does not fit the plan (2), naming the file and the field.
    let bad = t.join("bad.json");
    let prove_bad = || {
        ["prove", p(&dir), "--input", p(&bad), "--proof", p(&t.join("never.bin"))]
            .map(str::to_string)
    };
    let examples = input_json()["input"].clone();
    let cases: [(Value, &str); 5] = [
        (json!({ "x": examples.clone() }), "bad.json: field input: missing"),
        (
            json!({ "input": [examples[0].clone(), examples[1].clone(), examples[0].clone()] }),
            "bad.json: field input: 3 batch entries, the plan has batch 2",
        ),
        (
            json!({ "input": [examples[0].clone(), examples[1].as_array().unwrap()[..63].to_vec()] }),
            "bad.json: field input: entry 1 has 63 values, expected 64",
        ),
        (json!({ "input": [examples[0].clone(), ["a"]] }), "bad.json: field input: entry 1"),
        (json!({ "input": 3 }), "bad.json: field input: expected an array"),
    ];
    for (json, message) in cases {
        write_json(&bad, &json);
        expect(&prove_bad(), 2, &[message]);
    }
    std::fs::write(&bad, "{ not json").unwrap();
    expect(&prove_bad(), 2, &["bad.json: invalid JSON"]);
    write_json(&bad, &json!({ "logits": [vec![0.0; 10]] }));
    expect(
        &["verify", "--vk", p(&vk), "--proof", p(&proof), "--output", p(&bad)],
        2,
        &["bad.json: field logits: 1 batch entries, the plan has batch 2"],
    );
    assert!(!t.join("never.bin").exists(), "no proof is written for bad inputs");

    // A proof checked against another model's verifying key (the MLP at batch 1): rejected.
    let other = t.join("mlp1");
    expect(&["compile", p(&model), "--out", p(&other), "--batch", "1"], 0, &["batch 1"]);
    expect(&["setup", p(&other), "--insecure-dev-srs"], 0, &["vk.bin"]);
    let text = expect(
        &["verify", "--vk", p(&other.join("vk.bin")), "--proof", p(&proof)],
        1,
        &["proof.bin"],
    );
    assert!(verdict_line(&text).starts_with("rejected: "), "{text}");
}

#[test]
fn private_input_workflow() {
    let t = TempDir::new("private");
    let dir = t.join("mlp");
    let model = mlp().join("model.onnx");
    expect(
        &["compile", p(&model), "--out", p(&dir), "--batch", "2", "--private-input"],
        0,
        &["plan.bin"],
    );
    expect(&["setup", p(&dir), "--insecure-dev-srs"], 0, &["vk.bin"]);
    let input = t.join("in.json");
    write_json(&input, &input_json());
    let proof = t.join("proof.bin");
    expect(&["prove", p(&dir), "--input", p(&input), "--proof", p(&proof)], 0, &["proof.bin"]);
    let vk = dir.join("vk.bin");
    expect(&["verify", "--vk", p(&vk), "--proof", p(&proof)], 0, &["proof verified"]);
    expect(&["inspect", p(&proof)], 0, &["Tessera proof", "inputs: private"]);
    // There is no public input to compare a claimed input with: an error, naming the file.
    expect(
        &["verify", "--vk", p(&vk), "--proof", p(&proof), "--input", p(&input)],
        2,
        &["in.json: the proof's inputs are private"],
    );
}

/// Encodes a minimal ONNX model (opset 13): `y = op(x)` on a float `[1, 4]` tensor.
fn tiny_onnx(op: &str) -> Vec<u8> {
    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    fn int(field: u64, v: u64, out: &mut Vec<u8>) {
        varint(field << 3, out);
        varint(v, out);
    }
    fn bytes(field: u64, b: &[u8], out: &mut Vec<u8>) {
        varint((field << 3) | 2, out);
        varint(b.len() as u64, out);
        out.extend_from_slice(b);
    }
    let value_info = |name: &str| {
        let mut shape = Vec::new();
        for d in [1, 4] {
            let mut dim = Vec::new();
            int(1, d, &mut dim);
            bytes(1, &dim, &mut shape);
        }
        let mut tensor = Vec::new();
        int(1, 1, &mut tensor); // FLOAT
        bytes(2, &shape, &mut tensor);
        let mut ty = Vec::new();
        bytes(1, &tensor, &mut ty);
        let mut vi = Vec::new();
        bytes(1, name.as_bytes(), &mut vi);
        bytes(2, &ty, &mut vi);
        vi
    };
    let mut node = Vec::new();
    bytes(1, b"x", &mut node);
    bytes(2, b"y", &mut node);
    bytes(3, b"the_node", &mut node);
    bytes(4, op.as_bytes(), &mut node);
    let mut graph = Vec::new();
    bytes(1, &node, &mut graph);
    bytes(2, b"tiny", &mut graph);
    bytes(11, &value_info("x"), &mut graph);
    bytes(12, &value_info("y"), &mut graph);
    let mut opset = Vec::new();
    bytes(1, b"", &mut opset);
    int(2, 13, &mut opset);
    let mut model = Vec::new();
    int(1, 8, &mut model);
    bytes(7, &graph, &mut model);
    bytes(8, &opset, &mut model);
    model
}

#[test]
fn unsupported_and_corrupt_models_are_format_errors() {
    let t = TempDir::new("models");
    // A graph the importer reads but the prover may not cover (a bare Relu on the input): the
    // plan is written, or the error names the node and says the prover does not support it. It
    // also shows the hand-written encoder is a valid ONNX file.
    let relu = t.join("relu.onnx");
    std::fs::write(&relu, tiny_onnx("Relu")).unwrap();
    let out = tessera(&["compile", p(&relu), "--out", p(&t.join("relu"))]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => assert!(t.join("relu/plan.bin").is_file()),
        Some(2) => assert!(
            verdict_line(&stderr).starts_with("error: node the_node")
                && stderr.contains("not supported by the prover"),
            "{stderr}"
        ),
        other => panic!("relu model: exit {other:?}\n{stderr}"),
    }

    // An op the importer does not know.
    let hardmax = t.join("hardmax.onnx");
    std::fs::write(&hardmax, tiny_onnx("Hardmax")).unwrap();
    let text =
        expect(&["compile", p(&hardmax), "--out", p(&t.join("hm"))], 2, &["the_node", "Hardmax"]);
    assert!(verdict_line(&text).starts_with("error: "), "{text}");
    assert!(!t.join("hm/plan.bin").exists(), "no plan is written for an unsupported model");

    let missing = t.join("missing.onnx");
    expect(&["compile", p(&missing), "--out", p(&t.join("m"))], 2, &["missing.onnx"]);
}

#[test]

fn a_corrupt_onnx_file_is_named_in_the_error() {
    let t = TempDir::new("corrupt");
    let corrupt = t.join("corrupt.onnx");
    std::fs::write(&corrupt, b"\x08\x07\xff\xff garbage, not a protobuf").unwrap();
    expect(&["compile", p(&corrupt), "--out", p(&t.join("c"))], 2, &["corrupt.onnx"]);
}

#[test]
fn a_corrupt_onnx_file_is_a_format_error() {
    let t = TempDir::new("corrupt2");
    let corrupt = t.join("corrupt.onnx");
    std::fs::write(&corrupt, b"\x08\x07\xff\xff garbage, not a protobuf").unwrap();
    let text = expect(&["compile", p(&corrupt), "--out", p(&t.join("c"))], 2, &["corrupt"]);
    assert!(verdict_line(&text).starts_with("error: "), "{text}");
    // Not a model at all: a JSON file.
    let json = mlp().join("test_set.json");
    expect(&["compile", p(&json), "--out", p(&t.join("j"))], 2, &["error: "]);
}

#[test]
fn usage_errors_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "Usage"),
        (&["frobnicate"], "unrecognized subcommand"),
        (&["compile", "m.onnx"], "--out"),
        (&["compile", "m.onnx", "--out", "d", "--batch", "two"], "--batch"),
        (&["compile", "m.onnx", "--out", "d", "--scale-bits", "0"], "--scale-bits"),
        (&["setup", "d"], "--srs"),
        (&["setup", "d", "--srs", "s", "--insecure-dev-srs"], "cannot be used with"),
        (&["prove", "d", "--input", "i.json"], "--proof"),
        (&["verify", "--proof", "p.bin"], "--vk"),
        (&["inspect"], "FILE"),
        (&["verify", "--vk", "v", "--proof", "p", "--bogus"], "--bogus"),
    ];
    for (args, needle) in cases {
        expect(args, 2, &[needle]);
    }
}

#[test]

fn batch_zero_is_refused_at_compile() {
    let t = TempDir::new("batch0");
    let model = mlp().join("model.onnx");
    let text =
        expect(&["compile", p(&model), "--out", p(&t.join("d")), "--batch", "0"], 2, &["batch"]);
    assert!(verdict_line(&text).starts_with("error: "), "{text}");
    assert!(!t.join("d/plan.bin").exists(), "no plan is written for batch 0");
}

#[test]
fn os_errors_are_stated_once() {
    let t = TempDir::new("oserror");
    let missing = t.join("missing.bin");
    let text = expect(&["inspect", p(&t.join("missing.txt"))], 2, &["missing.txt"]);
    assert_eq!(verdict_line(&text).matches("os error").count(), 1, "{text}");
    let text =
        expect(&["verify", "--vk", p(&missing), "--proof", p(&missing)], 2, &["missing.bin"]);
    assert_eq!(verdict_line(&text).matches("os error").count(), 1, "{text}");
    // A directory where a model file is expected: the cause once, however the errors nest.
    let text = expect(&["compile", p(&t.join(".")), "--out", p(&t.join("d"))], 2, &["os error"]);
    assert_eq!(verdict_line(&text).matches("os error").count(), 1, "{text}");
}

/// Issue 22, F2: `setup --srs FILE` takes a ceremony file only if its powers are consecutive.
/// A file whose `[τ^5]` is `[τ^2]` passes every point check, and would let anyone open
/// `X^5 − X^2` as the zero polynomial; it is refused, naming the file and the reason.
#[test]
fn setup_refuses_an_srs_whose_powers_are_not_consecutive() {
    use ark_serialize::CanonicalSerialize;
    let t = TempDir::new("srs");
    let dir = t.join("mlp");
    let model = mlp().join("model.onnx");
    expect(&["compile", p(&model), "--out", p(&dir), "--batch", "1"], 0, &["plan.bin"]);
    let plan = tessera_runtime::files::read_plan(&dir.join("plan.bin")).expect("plan");
    let log = tessera_runtime::required_srs_size(&plan).next_power_of_two().trailing_zeros();
    let srs = tessera_blocks::Srs::insecure_dev(11, log as usize).expect("srs");
    let mut good = Vec::new();
    srs.write(&mut good).expect("write srs");
    let good_path = t.join("good.srs");
    std::fs::write(&good_path, &good).unwrap();
    expect(&["setup", p(&dir), "--srs", p(&good_path)], 0, &["vk.bin"]);

    let encoding = |i: usize| {
        let mut out = Vec::new();
        srs.powers_g1()[i].serialize_compressed(&mut out).expect("point");
        out
    };
    let (tau5, tau2) = (encoding(5), encoding(2));
    let at =
        good.windows(tau5.len()).position(|w| w == tau5.as_slice()).expect("[τ^5] in the file");
    let mut bad = good.clone();
    bad[at..at + tau2.len()].copy_from_slice(&tau2);
    let bad_path = t.join("bad.srs");
    std::fs::write(&bad_path, &bad).unwrap();
    expect(
        &["setup", p(&dir), "--srs", p(&bad_path)],
        2,
        &["bad.srs: not a usable SRS", "powers of tau are not consecutive"],
    );
}
