// Port of bench/polymorphic.lox: polymorphic method calls over a linked list
// of shapes of four classes, with overriding, inherited methods and super calls.
"use strict";

const COUNT = 100;
const PASSES = 40000;

class Shape {
  constructor(sides) {
    this.sides = sides;
  }

  area() { return 0; }

  // Inherited by all; calls the overriding area() of the subclass.
  weight() { return this.area() + this.sides; }

  kind() { return 0; }
}

class Circle extends Shape {
  constructor(r) {
    super(0);
    this.r = r;
  }

  area() { return 3 * this.r * this.r; }

  kind() { return 1; }
}

class Square extends Shape {
  constructor(side) {
    super(4);
    this.side = side;
  }

  area() { return this.side * this.side; }

  kind() { return 2; }
}

class Triangle extends Shape {
  constructor(base, height) {
    super(3);
    this.base = base;
    this.height = height;
  }

  area() { return this.base * this.height / 2; }

  kind() { return 3; }
}

// A square with a border: area goes through super.
class FramedSquare extends Square {
  constructor(side, border) {
    super(side);
    this.border = border;
  }

  area() { return super.area() + 4 * this.border * this.side; }

  kind() { return super.kind() + 2; }
}

class Node {
  constructor(shape, next) {
    this.shape = shape;
    this.next = next;
  }
}

// A mixed list: the class changes from one node to the next.
function buildList() {
  let list = null;
  let which = 0;
  for (let i = 1; i <= COUNT; i = i + 1) {
    const size = i;
    let shape;
    if (which === 0) shape = new Circle(size);
    if (which === 1) shape = new Square(size);
    if (which === 2) shape = new Triangle(size, i);
    if (which === 3) shape = new FramedSquare(size, 1);
    list = new Node(shape, list);
    which = which + 1;
    if (which === 4) which = 0;
  }
  return list;
}

function run() {
  const list = buildList();
  let total = 0;
  let kinds = 0;
  for (let pass = 0; pass < PASSES; pass = pass + 1) {
    let node = list;
    while (node !== null) {
      const shape = node.shape;
      total = total + shape.area() + shape.weight();
      kinds = kinds + shape.kind();
      node = node.next;
    }
  }

  // Checksum.
  console.log(total);
  console.log(kinds);
}

run();
