// SPDX-License-Identifier: MIT
// A Rust program that leaks exactly 5 blocks, 528 bytes: a Vec of 4 nodes (4 * 32 bytes) and
// each node's 100-byte payload, forgotten. Its leak stacks run through v0-mangled std frames.
use std::hint::black_box;

struct Node {
    id: u64,
    payload: Vec<u8>,
}

#[inline(never)]
fn make_nodes(n: usize) -> Vec<Node> {
    (0..n).map(|i| Node { id: i as u64, payload: vec![i as u8; 100] }).collect()
}

fn main() {
    let nodes = make_nodes(black_box(4));
    assert_eq!(nodes.iter().map(|n| n.id as usize + n.payload.len()).sum::<usize>(), 406);
    std::mem::forget(black_box(nodes));
}
