/** A binary min-heap of items by numeric key, keys and items in parallel arrays (no per-push allocation). */
export class KeyHeap<T> {
  private readonly keys: number[] = [];
  private readonly items: T[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(key: number, item: T): void {
    const keys = this.keys;
    const items = this.items;
    let i = keys.length;
    keys.push(key);
    items.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = keys[p] as number;
      if (pk <= key) break;
      keys[i] = pk;
      items[i] = items[p] as T;
      i = p;
    }
    keys[i] = key;
    items[i] = item;
  }

  /** The smallest key (Infinity when empty). */
  topKey(): number {
    return this.keys.length > 0 ? (this.keys[0] as number) : Infinity;
  }

  /** The item with the smallest key; only call when size > 0. */
  top(): T {
    return this.items[0] as T;
  }

  pop(): T {
    const keys = this.keys;
    const items = this.items;
    const top = items[0] as T;
    const lastKey = keys.pop() as number;
    const lastItem = items.pop() as T;
    const n = keys.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && (keys[r] as number) < (keys[l] as number) ? r : l;
        if ((keys[c] as number) >= lastKey) break;
        keys[i] = keys[c] as number;
        items[i] = items[c] as T;
        i = c;
      }
      keys[i] = lastKey;
      items[i] = lastItem;
    }
    return top;
  }
}
