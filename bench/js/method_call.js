// Port of bench/method_call.lox: many method invocations on instances,
// methods returning this for chaining, inherited methods and super calls.
"use strict";

const N = 2500000;

class Toggle {
  constructor(state) {
    this.state = state;
  }

  value() { return this.state; }

  activate() {
    this.state = !this.state;
    return this;
  }
}

// Flips only every `period`-th time it is activated.
class NthToggle extends Toggle {
  constructor(state, period) {
    super(state);
    this.period = period;
    this.count = 0;
  }

  activate() {
    this.count = this.count + 1;
    if (this.count >= this.period) {
      super.activate();
      this.count = 0;
    }
    return this;
  }
}

class Counter {
  constructor() { this.n = 0; }
  inc() { this.n = this.n + 1; }
  add(k) { this.n = this.n + k; }
  get() { return this.n; }
  reset() { this.n = 0; }
}

function run() {
  const toggle = new Toggle(true);
  const nth = new NthToggle(true, 3);
  const counter = new Counter();
  let trues = 0;
  let sum = 0;

  for (let i = 0; i < N; i = i + 1) {
    if (toggle.activate().value()) trues = trues + 1;
    if (toggle.activate().value()) trues = trues + 1;
    if (nth.activate().value()) trues = trues + 1;
    if (nth.activate().value()) trues = trues + 1;
    counter.inc();
    counter.add(2);
    counter.inc();
    if (counter.get() >= 1000) {
      sum = sum + counter.get();
      counter.reset();
    }
  }

  // Checksum: how many times a toggle read true, and the counter totals.
  console.log(trues);
  console.log(sum + counter.get());
}

run();
