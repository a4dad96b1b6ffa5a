//! Gives the wasm module the stack its "Stack overflow." budget assumes.

#[allow(dead_code)]
#[path = "src/limits.rs"]
mod limits;

fn main() {
    println!("cargo:rerun-if-changed=src/limits.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-cdylib-link-arg=-zstack-size={}", limits::WASM_STACK_SIZE);
    }
}
