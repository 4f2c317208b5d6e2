/**
 * Lets a Node process exit while a client timer is pending; in a browser a timer is a number with
 * nothing to unref, so this does nothing there.
 */
export function unref(timer: ReturnType<typeof setTimeout> | ReturnType<typeof setInterval>): void {
  (timer as { unref?: () => void }).unref?.();
}
