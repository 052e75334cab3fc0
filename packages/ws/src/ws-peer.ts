import type { WebSocket } from 'uWebSockets.js';
import type { Connection, Metadata } from '@switchyard/core';
import { type Session, SwitchyardError } from '@switchyard/stream';
import type { TextConnection, TextSink } from './text-connection.js';
import { formatPush } from './text-protocol.js';
import type { UwsConduit } from './uws-conduit.js';

/** uWS topic names are namespaced by mode: the two modes need different bytes. */
export const BINARY_TOPIC_PREFIX = 'b:';
export const TEXT_TOPIC_PREFIX = 't:';

/** What uWS keeps per socket (its "user data"). */
export interface PeerData {
  peer: WsPeer;
}

let nextId = 0;

/**
 * One WebSocket connection as core sees it (`ctx.connection`). Its mode is
 * set by the first message: binary (stream session) or text (JSON).
 */
export class WsPeer implements Connection, TextSink {
  readonly id: string;
  readonly transport = 'ws';
  readonly gateway: string;
  readonly remoteAddress: string;
  /** Set by the auth hook; merged into every call's metadata. */
  readonly authMetadata: Metadata | undefined;

  mode: 'pending' | 'binary' | 'text' = 'pending';
  /** Valid from open to close only. */
  ws: WebSocket<PeerData> | undefined;
  conduit: UwsConduit | undefined;
  session: Session | undefined;
  text: TextConnection | undefined;
  private drainWaiters: (() => void)[] = [];

  constructor(gateway: string, remoteAddress: string, authMetadata: Metadata | undefined) {
    this.id = `ws-${++nextId}`;
    this.gateway = gateway;
    this.remoteAddress = remoteAddress;
    this.authMetadata = authMetadata;
  }

  get open(): boolean {
    return this.ws !== undefined;
  }

  /** Core's Connection.push: throws when the push cannot be delivered, like core's stream gateway. */
  push(topic: string, value: unknown): void {
    if (this.ws === undefined) throw new SwitchyardError('UNAVAILABLE', 'connection is closed');
    if (this.mode === 'binary') {
      // false: the peer is not reading and the session's queue is full.
      if (this.session?.push(topic, value) !== true) {
        throw new SwitchyardError('RESOURCE_EXHAUSTED', 'push could not be queued');
      }
      return;
    }
    if (this.mode === 'text') {
      const text = formatPush(topic, value);
      if (typeof text !== 'string') throw text;
      if (!this.sendText(text)) throw new SwitchyardError('UNAVAILABLE', 'connection is closed');
    }
    // Pending: the client has not said which format it reads, so nothing is sent.
  }

  subscribe(topic: string): void {
    this.ws?.subscribe(this.topicName(topic));
  }

  unsubscribe(topic: string): void {
    this.ws?.unsubscribe(this.topicName(topic));
  }

  private topicName(topic: string): string {
    if (this.mode === 'binary') return BINARY_TOPIC_PREFIX + topic;
    if (this.mode === 'text') return TEXT_TOPIC_PREFIX + topic;
    throw new SwitchyardError(
      'FAILED_PRECONDITION',
      'cannot subscribe before the connection sent its first message',
    );
  }

  /** TextSink: sends one text message. */
  send(text: string): boolean {
    return this.sendText(text);
  }

  /** Sends one text message; a message uWS drops (backpressure limit) closes the socket. */
  sendText(text: string): boolean {
    const ws = this.ws;
    if (ws === undefined) return false;
    let status = 1;
    ws.cork(() => {
      status = ws.send(text, false);
    });
    if (status === 2) {
      ws.end(1008, 'backpressure limit exceeded (peer not reading)');
      return false;
    }
    return true;
  }

  get bufferedAmount(): number {
    return this.ws?.getBufferedAmount() ?? 0;
  }

  /** Resolves on the next uWS drain event or on close. */
  drained(): Promise<void> {
    if (this.ws === undefined) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Called by the gateway on uWS drain and close. */
  wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    if (waiters.length === 0) return;
    this.drainWaiters = [];
    for (const wake of waiters) wake();
  }
}
