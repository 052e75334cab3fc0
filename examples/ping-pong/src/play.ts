/** `pnpm --filter @switchyard/example-ping-pong play [host:port] [name]`: one match against a running server. */
import { hello, play } from './client.js';

const [host = '127.0.0.1', port = '4100'] = (process.argv[2] ?? '').split(':').filter(Boolean);
const address = { host, port: Number(port) };

const welcome = await hello(address, { player: process.argv[3] ?? 'you', pointsToWin: 5 });
console.log(welcome.greeting);
const umpire = await play(address, welcome, {
  onStroke: (player, stroke, landing, { score }) => {
    const ball = player === 'client' ? 'ping' : '    pong';
    const point =
      landing === 'in' ? '' : `  ${landing}! you ${score.client} : ${score.server} server`;
    console.log(`${String(stroke.n).padStart(3)} ${ball}${point}`);
  },
});
console.log(umpire.winner === 'client' ? 'you win' : 'the server wins');
