/**
 * Three chat nodes; three people, each connected to a different node, talk in
 * one room. `--once` exits after the scripted conversation; otherwise the nodes
 * keep running for your own clients until Ctrl-C.
 */
import { ChatClient } from './chat-client.js';
import { launchChat } from './launch.js';

const chat = await launchChat();
const stop = async (code: number): Promise<never> => {
  await chat.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
try {
  const names = ['ada', 'bob', 'cy'];
  const people = await Promise.all(chat.urls.map((u) => ChatClient.open(u)));
  for (const [i, p] of people.entries()) {
    const r = (await p.call('chat.join', { room: 'lobby' })) as { node: string };
    console.log(`${names[i]} joined #lobby on node ${r.node}`);
  }
  for (const [i, p] of people.entries()) {
    await p.call('chat.say', { room: 'lobby', from: names[i], text: `hello from ${names[i]}` });
  }
  await new Promise((r) => setTimeout(r, 300));
  for (const [i, p] of people.entries()) {
    console.log(
      `${names[i]} saw: ${p.received.map((m) => `${m.from}@${m.via}: ${m.text}`).join(' | ')}`,
    );
    p.close();
  }
  if (process.argv.includes('--once')) await stop(0);
  console.log(
    `\nnodes: ${chat.urls.join('  ')}  (JSON text mode, e.g. {"id":1,"method":"chat.join","input":{"room":"lobby"}})`,
  );
  console.log('Ctrl-C to stop.');
} catch (error) {
  console.error(error);
  await stop(1);
}
