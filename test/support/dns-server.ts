import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';

const TYPE_A = 1;
const TYPE_AAAA = 28;

/** What the server answers for a name and record type: addresses with a TTL, or "no such name". */
type Answer = { readonly addresses: readonly string[]; readonly ttl: number } | 'NXDOMAIN';
type Answering = (name: string, type: 'A' | 'AAAA') => Answer;

/**
 * A minimal authoritative DNS server over UDP on 127.0.0.1 (RFC 1035 §4 message format), for
 * tests and the benchmark: it answers A/AAAA questions from a function, after an optional delay
 * (real resolvers take tens of ms), and counts the questions it was asked.
 */
class TestDnsServer {
  readonly questions: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  readonly #socket: Socket;
  readonly #answering: Answering;
  readonly #delayMs: number;

  private constructor(socket: Socket, answering: Answering, delayMs: number) {
    this.#socket = socket;
    this.#answering = answering;
    this.#delayMs = delayMs;
    socket.on('message', (message, remote) => this.#onQuery(message, remote));
  }

  static async start(answering: Answering, options: { port?: number; delayMs?: number } = {}): Promise<TestDnsServer> {
    const socket = createSocket('udp4');
    socket.bind(options.port ?? 0, '127.0.0.1');
    await once(socket, 'listening');
    return new TestDnsServer(socket, answering, options.delayMs ?? 0);
  }

  /** `127.0.0.1:PORT`, as `dns.Resolver#setServers` takes it. */
  get address(): string {
    return `127.0.0.1:${this.#socket.address().port}`;
  }

  close(): void {
    this.#socket.close();
  }

  #onQuery(query: Buffer, remote: RemoteInfo): void {
    const { name, type, questionEnd } = parseQuestion(query);
    this.questions.push(`${name} ${type === TYPE_A ? 'A' : type === TYPE_AAAA ? 'AAAA' : type}`);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const answer = type === TYPE_A || type === TYPE_AAAA ? this.#answering(name, type === TYPE_A ? 'A' : 'AAAA') : { addresses: [], ttl: 0 };
    const reply = buildReply(query, questionEnd, type, answer);
    setTimeout(() => {
      this.inFlight -= 1;
      this.#socket.send(reply, remote.port, remote.address);
    }, this.#delayMs);
  }
}

function parseQuestion(query: Buffer): { name: string; type: number; questionEnd: number } {
  const labels: string[] = [];
  let offset = 12;
  while (query[offset]! !== 0) {
    const length = query[offset]!;
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString('latin1'));
    offset += 1 + length;
  }
  const type = query.readUInt16BE(offset + 1);
  return { name: labels.join('.').toLowerCase(), type, questionEnd: offset + 5 };
}

function buildReply(query: Buffer, questionEnd: number, type: number, answer: Answer): Buffer {
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  const nxdomain = answer === 'NXDOMAIN';
  header.writeUInt16BE(nxdomain ? 0x8183 : 0x8180, 2); // response, recursion desired + available, rcode
  header.writeUInt16BE(1, 4); // one question
  const records = nxdomain ? [] : answer.addresses.filter((address) => address.includes(':') === (type === TYPE_AAAA));
  header.writeUInt16BE(records.length, 6);
  const answers = records.map((address) => {
    const rdata = type === TYPE_A ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
    const record = Buffer.alloc(12);
    record.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    record.writeUInt16BE(type, 2);
    record.writeUInt16BE(1, 4); // class IN
    record.writeUInt32BE(nxdomain ? 0 : answer.ttl, 6);
    record.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([record, rdata]);
  });
  return Buffer.concat([header, query.subarray(12, questionEnd), ...answers]);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail = ''] = address.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const missing = 8 - groups(head!).length - groups(tail).length;
  const all = [...groups(head!), ...Array<string>(address.includes('::') ? missing : 0).fill('0'), ...groups(tail)];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

export { TestDnsServer };
export type { Answer, Answering };
