/**
 * The two tiny programs that run inside lab namespaces: a server for pods (and host-network
 * endpoints) and a client. They are plain JavaScript run with `node --input-type=module -e`, so
 * they start in ~50 ms without tsx and need no file on disk; their only argument is one JSON
 * object (passed as an argv element, never through a shell).
 */

/**
 * Server: answers TCP and UDP on each port with one line `pod=<name> peer=<ip>:<port>`, so the
 * client learns which pod answered and which source address that pod saw (masquerade or not).
 * It also logs one JSON line per connection/datagram to stdout, with the token the client sent:
 * when the reply is lost on the way back (missing MASQUERADE) this log still shows what the pod saw.
 * Argument: {"name": string, "ports": number[], "v6": boolean, "sockets"?: [{"proto", "host", "port"}]}:
 * each of `ports` on TCP and UDP on every address (and `::` with v6), plus exactly the `sockets`
 * given (a pod that listens on 127.0.0.1 only, or on UDP only).
 */
export const SERVER_JS = String.raw`
import net from 'node:net';
import dgram from 'node:dgram';
const cfg = JSON.parse(process.argv[1]);
const log = (o) => process.stdout.write(JSON.stringify({ pod: cfg.name, ...o }) + '\n');
const line = (addr, port) => 'pod=' + cfg.name + ' peer=' + addr.replace(/^::ffff:/, '') + ':' + port + '\n';
const hosts = cfg.v6 ? ['0.0.0.0', '::'] : ['0.0.0.0'];
const sockets = [
  ...cfg.ports.flatMap((port) => hosts.flatMap((host) => [{ proto: 'tcp', host, port }, { proto: 'udp', host, port }])),
  ...(cfg.sockets ?? []),
];
let pending = sockets.length;
const ready = () => { if (--pending === 0) log({ ready: true }); };
for (const { proto, host, port } of sockets) {
  const v6 = host.includes(':');
  if (proto === 'tcp') {
    const srv = net.createServer((c) => {
      const peer = c.remoteAddress.replace(/^::ffff:/, '') + ':' + c.remotePort;
      c.on('error', () => {});
      c.write(line(c.remoteAddress, c.remotePort));
      let buf = '';
      let logged = false;
      const done = (token) => { if (!logged) { logged = true; log({ proto: 'tcp', port, peer, token }); } };
      c.on('data', (d) => { buf += d; const i = buf.indexOf('\n'); if (i >= 0) { done(buf.slice(0, i)); c.end(); } });
      c.on('close', () => done(null));
    });
    srv.listen({ host, port, ipv6Only: v6 }, ready);
  } else {
    const u = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
    u.on('message', (msg, r) => {
      log({ proto: 'udp', port, peer: r.address + ':' + r.port, token: msg.toString().trim() });
      u.send(line(r.address, r.port), r.port, r.address);
    });
    u.bind(port, host, ready);
  }
}
`;

/**
 * Client: makes up to maxTries connections (one per try, each from its own source port so the
 * harness can find each try in the trace and in conntrack), and prints a JSON array, one entry per
 * try: {sport, result: 'delivered'|'refused'|'timeout', pod?, peer?, errno?}. It stops after
 * minTries once every pod in `want` has answered (random-balanced services need a few tries).
 * ECONNREFUSED (TCP RST or ICMP port unreachable) and ICMP host/net unreachable count as refused.
 * Argument: {"proto","ip","port","srcIp"?,"sportBase","minTries","maxTries","want":[],"timeoutMs"}.
 */
export const CLIENT_JS = String.raw`
import net from 'node:net';
import dgram from 'node:dgram';
const cfg = JSON.parse(process.argv[1]);
const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);
const parse = (s) => {
  const m = /pod=(\S+) peer=(\S+)/.exec(s);
  return m ? { pod: m[1], peer: m[2] } : {};
};
function tryOnce(sport, token) {
  return new Promise((resolve) => {
    let finished = false;
    let cleanup = () => {};
    const finish = (r) => { if (!finished) { finished = true; clearTimeout(timer); cleanup(); resolve({ sport, ...r }); } };
    const timer = setTimeout(() => finish({ result: 'timeout' }), cfg.timeoutMs);
    const onErr = (e) => finish(REFUSED.has(e.code) ? { result: 'refused', errno: e.code } : { result: 'error', errno: e.code });
    if (cfg.proto === 'tcp') {
      const opts = { host: cfg.ip, port: cfg.port, localPort: sport };
      if (cfg.srcIp) opts.localAddress = cfg.srcIp;
      const s = net.connect(opts, () => s.write(token + '\n'));
      let buf = '';
      s.on('data', (d) => { buf += d; if (buf.includes('\n')) finish({ result: 'delivered', ...parse(buf) }); });
      s.on('error', onErr);
      cleanup = () => s.destroy();
    } else {
      const u = dgram.createSocket(cfg.ip.includes(':') ? 'udp6' : 'udp4');
      u.on('error', onErr);
      u.on('message', (m) => finish({ result: 'delivered', ...parse(m.toString()) }));
      u.bind({ port: sport, address: cfg.srcIp }, () => u.connect(cfg.port, cfg.ip, (err) => {
        if (err) onErr(err); else u.send(token);
      }));
      cleanup = () => { try { u.close(); } catch {} };
    }
  });
}
const out = [];
const seen = new Set();
for (let i = 0; i < cfg.maxTries; i++) {
  if (i >= cfg.minTries && cfg.want.every((p) => seen.has(p))) break;
  const sport = cfg.sportBase + i;
  const r = await tryOnce(sport, 'try' + i + '-' + sport);
  if (r.pod) seen.add(r.pod);
  out.push(r);
}
process.stdout.write(JSON.stringify(out) + '\n');
`;
