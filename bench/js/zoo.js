// Port of bench/zoo.lox: six different getter methods invoked on one instance.
"use strict";

const N = 5000000;

class Zoo {
  constructor() {
    this.aardvark = 1;
    this.baboon = 1;
    this.cat = 1;
    this.donkey = 1;
    this.elephant = 1;
    this.fox = 1;
  }
  ant() { return this.aardvark; }
  banana() { return this.baboon; }
  tuna() { return this.cat; }
  hay() { return this.donkey; }
  grass() { return this.elephant; }
  mouse() { return this.fox; }
}

function run() {
  const zoo = new Zoo();
  let sum = 0;
  for (let i = 0; i < N; i = i + 1) {
    sum = sum + zoo.ant() + zoo.banana() + zoo.tuna() + zoo.hay() + zoo.grass()
      + zoo.mouse();
  }

  // Checksum: 6 * N.
  console.log(sum);
}

run();
