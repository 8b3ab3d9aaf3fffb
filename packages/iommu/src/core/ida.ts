/**
 * `ida_alloc`: the lowest free non-negative integer, as the IOMMU core numbers its groups (so a freed number is
 * reused by the next group, which is what `/sys/kernel/iommu_groups` shows after a hot-unplug).
 *
 * @see lib/idr.c ida_alloc_range, ida_free
 */
export class Ida {
  readonly #used: boolean[] = [];

  /** `ida_alloc(ida, GFP_KERNEL)`: the lowest free id. */
  alloc(): number {
    let id = this.#used.indexOf(false);
    if (id < 0) id = this.#used.length;
    this.#used[id] = true;
    return id;
  }

  /** `ida_free(ida, id)`; freeing an id that is not allocated is a model bug. */
  free(id: number): void {
    if (this.#used[id] !== true) throw new Error(`ida_free: id ${id} is not allocated`);
    this.#used[id] = false;
  }

  /** Whether `id` is allocated. */
  has(id: number): boolean {
    return this.#used[id] === true;
  }
}
