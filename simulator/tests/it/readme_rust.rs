//! The README's Rust blocks, compiled: each stands below as written (a test holds the README to
//! them), so a change to the library's API that would break a reader's copy breaks this build.
//! They are compiled, not run: the first leaves the client's request to the reader, the second
//! the app.

use std::time::Duration;

const README: &str = include_str!("../../../README.md");
const THIS_FILE: &str = include_str!("readme_rust.rs");

/// The README's first block: a whole test. Inside a function, so that it is compiled but not
/// run (it asserts on a send the reader's client makes).
#[rustfmt::skip]
#[allow(dead_code, unused_variables, unnameable_test_items)]
fn readme_first_block() {
#[tokio::test]
async fn my_client_sends() {
    let sim = smsim::Simulator::start_default().await.unwrap(); // 127.0.0.1:0, embedded defaults
    let base = sim.base_url();                                   // e.g. http://127.0.0.1:41234
    // ... point the client at `base`, then inspect:
    assert_eq!(sim.sim().balance(smsim::Provider::Smsoffice, "demo-key"), Some(999));
    assert_eq!(sim.sim().messages()[0].destination, "995577123456");
}   // dropping `sim` stops the server
}

/// The app under test of the README's second block.
struct App;

impl App {
    /// Sends a sign-in code in the background.
    async fn sign_in(&self, _destination: &str) {}
}

/// The README's second block, with the simulator and the app it names.
#[rustfmt::skip]
#[allow(dead_code, unused_variables)]
async fn readme_second_block(sim: &smsim::Simulator, app: &App) {
let seen = sim.sim().last_message_id();                      // before the app sends
app.sign_in("995577123456").await;                           // sends its code in the background
let message = sim.sim().wait_for_message("995577123456", seen, Duration::from_secs(5)).await.unwrap();
let code = sim.sim().code_in(&message.content).unwrap();     // "4821"
}

/// The README's ```rust blocks, each as its lines.
fn rust_blocks(page: &str) -> Vec<Vec<&str>> {
    let mut blocks = Vec::new();
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "```rust" {
            blocks.push(lines.by_ref().take_while(|l| l.trim() != "```").collect());
        }
    }
    blocks
}

#[test]
fn every_rust_block_of_the_readme_is_compiled_here_as_written() {
    let blocks = rust_blocks(README);
    assert_eq!(blocks.len(), 2, "the README's Rust blocks: {blocks:?}");
    let here: Vec<&str> = THIS_FILE.lines().collect();
    for block in blocks {
        assert!(
            here.windows(block.len())
                .any(|window| window == block.as_slice()),
            "this README block is not in tests/it/readme_rust.rs as written:\n{}",
            block.join("\n")
        );
    }
}
