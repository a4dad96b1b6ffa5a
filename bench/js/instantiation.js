// Port of bench/instantiation.lox: creating instances, with and without an
// initializer, all garbage at once.
"use strict";

const N = 2800000;

class Empty {}

class Point {
  constructor(x, y) {
    this.x = x;
    this.y = y;
  }
}

class Link {
  constructor(value, next) {
    this.value = value;
    this.next = next;
  }
}

function run() {
  let sum = 0;
  for (let i = 0; i < N; i = i + 1) {
    new Empty();
    const p = new Point(i, 1);
    const link = new Link(p, null);
    sum = sum + link.value.x + link.value.y;
  }

  // Checksum: N * (N - 1) / 2 + N.
  console.log(sum);
}

run();
