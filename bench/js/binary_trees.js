// Port of bench/binary_trees.lox: the classic binary-trees benchmark, with
// class instances as tree nodes.
"use strict";

const MIN_DEPTH = 4;
const MAX_DEPTH = 16;

class Tree {
  constructor(depth) {
    if (depth > 0) {
      this.left = new Tree(depth - 1);
      this.right = new Tree(depth - 1);
    } else {
      this.left = null;
      this.right = null;
    }
  }

  // Number of nodes in the tree.
  check() {
    if (this.left === null) return 1;
    return 1 + this.left.check() + this.right.check();
  }
}

function run() {
  const stretchDepth = MAX_DEPTH + 1;
  let total = 0;

  const stretch = new Tree(stretchDepth).check();
  console.log(stretch);
  total = total + stretch;

  const longLived = new Tree(MAX_DEPTH);

  // Iterations for depth d: 2^(MAX_DEPTH - d + MIN_DEPTH).
  let iterations = 1;
  for (let i = 0; i < MAX_DEPTH; i = i + 1) iterations = iterations * 2;

  let depth = MIN_DEPTH;
  while (depth <= MAX_DEPTH) {
    let check = 0;
    for (let i = 0; i < iterations; i = i + 1) {
      check = check + new Tree(depth).check();
    }
    console.log(iterations);
    console.log(check);
    total = total + check;
    iterations = iterations / 4;
    depth = depth + 2;
  }

  const longCheck = longLived.check();
  console.log(longCheck);
  total = total + longCheck;

  // Checksum: total number of nodes checked.
  console.log(total);
}

run();
