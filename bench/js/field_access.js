// Port of bench/field_access.lox: reading and writing instance fields in
// tight loops (particles bouncing inside a box), with almost no calls.
"use strict";

const N = 1800000;
const SIZE = 1000;

class Particle {
  constructor(x, y, vx, vy) {
    this.x = x;
    this.y = y;
    this.vx = vx;
    this.vy = vy;
    this.bounces = 0;
  }
}

class Box {
  constructor() {
    this.a = new Particle(1, 2, 3, 5);
    this.b = new Particle(500, 250, -7, 2);
    this.c = new Particle(999, 10, -1, 11);
    this.steps = 0;
    this.mix = 0;
  }
}

function run() {
  const box = new Box();
  const a = box.a;
  const b = box.b;
  const c = box.c;
  const size = SIZE;

  for (let i = 0; i < N; i = i + 1) {
    a.x = a.x + a.vx;
    if (a.x < 0 || a.x > size) { a.vx = -a.vx; a.x = a.x + a.vx + a.vx; a.bounces = a.bounces + 1; }
    a.y = a.y + a.vy;
    if (a.y < 0 || a.y > size) { a.vy = -a.vy; a.y = a.y + a.vy + a.vy; a.bounces = a.bounces + 1; }

    b.x = b.x + b.vx;
    if (b.x < 0 || b.x > size) { b.vx = -b.vx; b.x = b.x + b.vx + b.vx; b.bounces = b.bounces + 1; }
    b.y = b.y + b.vy;
    if (b.y < 0 || b.y > size) { b.vy = -b.vy; b.y = b.y + b.vy + b.vy; b.bounces = b.bounces + 1; }

    c.x = c.x + c.vx;
    if (c.x < 0 || c.x > size) { c.vx = -c.vx; c.x = c.x + c.vx + c.vx; c.bounces = c.bounces + 1; }
    c.y = c.y + c.vy;
    if (c.y < 0 || c.y > size) { c.vy = -c.vy; c.y = c.y + c.vy + c.vy; c.bounces = c.bounces + 1; }

    // Fields of fields, read through the box.
    box.mix = box.mix + box.a.vx * box.b.vx - box.c.vy;
    box.steps = box.steps + 1;
  }

  // Checksum: final positions, bounce counts and the step count.
  console.log(a.x + a.y * 1000);
  console.log(b.x + b.y * 1000);
  console.log(c.x + c.y * 1000);
  console.log(a.bounces + b.bounces + c.bounces);
  console.log(box.steps);
  console.log(box.mix);
}

run();
