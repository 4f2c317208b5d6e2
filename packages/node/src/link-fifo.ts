/** The queue behind a Link (link.ts): a FIFO with O(1) push and shift, for tens of thousands of frames. */

/** A FIFO with O(1) shift: an array and a moving head, compacted once the dead prefix dominates. */
export function createFifo<T>() {
  let items: (T | undefined)[] = [];
  let head = 0;
  return {
    get length() {
      return items.length - head;
    },
    push(item: T): void {
      items.push(item);
    },
    peek(): T | undefined {
      return items[head];
    },
    shift(): T | undefined {
      if (head >= items.length) return undefined;
      const item = items[head];
      items[head] = undefined;
      head += 1;
      if (head === items.length) {
        items = [];
        head = 0;
      } else if (head >= 1024 && head * 2 >= items.length) {
        items = items.slice(head);
        head = 0;
      }
      return item;
    },
    clear(): void {
      items = [];
      head = 0;
    },
  };
}
