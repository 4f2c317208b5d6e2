/**
 * What a slow send is doing (issue 17 #4): a fragment sent again and why, and a message still
 * waiting and for what. Emitted through the client's `onEvent`, so an application (or the CLI's
 * stderr) can say what is happening instead of going silent.
 */

/**
 * ack-timeout: no ack within the retransmission timeout (a lost packet or a dead hop);
 * gateway-moved: we moved gateway, acks would go to the old one; reply-stalled: a request was
 * acknowledged but its reply stopped coming, so fresh SURBs ask for the missing part.
 */
export type RetransmitReason = 'ack-timeout' | 'gateway-moved' | 'reply-stalled';

/** gateway: no gateway connection; send-queue: fragments not yet on the wire; acks: on the wire, unacknowledged; reply: acknowledged request, no complete reply. */
export type WaitingFor = 'gateway' | 'send-queue' | 'acks' | 'reply';

export type ProgressEvent =
  | {
      type: 'retransmit';
      /** Hex message id (a request's id for `reply-stalled`). */
      messageId: string;
      /** Fragment index, or `reply` for a reply asked for again. */
      fragment: number | 'reply';
      /** This send's number (2 = the first retransmission). */
      attempt: number;
      reason: RetransmitReason;
    }
  | {
      type: 'slow';
      messageId: string;
      elapsedMs: number;
      waitingFor: WaitingFor;
      /** Fragments still unacknowledged, of `fragments` (for `reply`: 0 of the request's). */
      pending: number;
      fragments: number;
    };

/** The first `slow` event after this long, then one per this interval while it lasts. */
export const SLOW_AFTER_MS = 2_000;

export type ProgressSink = (e: ProgressEvent) => void;
