// Port of bench/closures.lox: creating and calling closures.
"use strict";

const N = 1200000;

// A counter: `count` is captured and assigned.
function makeCounter(start) {
  let count = start;
  function next() {
    count = count + 1;
    return count;
  }
  return next;
}

// Two closures sharing one captured, assigned variable.
class Pair {
  constructor(get, set) {
    this.get = get;
    this.set = set;
  }
}

function makeBox(value) {
  function get() { return value; }
  function set(v) { value = v; }
  return new Pair(get, set);
}

// Captured but never assigned.
function makeAdder(n) {
  function add(x) { return x + n; }
  return add;
}

// Two levels: the innermost function reads `a` from two scopes out.
function makeNested(a) {
  function middle(b) {
    function inner(c) { return a + b + c; }
    return inner;
  }
  return middle;
}

function run() {
  let total = 0;
  for (let i = 0; i < N; i = i + 1) {
    const counter = makeCounter(i);
    counter();
    counter();
    total = total + counter() - i;

    const box = makeBox(i);
    box.set(box.get() + 1);
    total = total + box.get() - i;

    const add = makeAdder(i);
    total = total + add(1) + add(2) - i - i;

    const inner = makeNested(1)(2);
    total = total + inner(3) + inner(4);

    // A closure over the loop's own local, created and called right away.
    let j = i;
    function bump() { j = j + 1; }
    bump();
    bump();
    total = total + j - i;
  }

  // A long-lived counter called many times.
  const ticks = makeCounter(0);
  let last = 0;
  for (let i = 0; i < N; i = i + 1) {
    last = ticks();
  }

  // Checksum.
  console.log(total);
  console.log(last);
}

run();
