import type { ChildProcess } from 'node:child_process';

/** The first line a child prints on stdout (local-sqs prints its endpoints and queues). */
async function firstLine(child: ChildProcess): Promise<string> {
  let text = '';
  for await (const chunk of child.stdout!) {
    text += String(chunk);
    if (text.includes('\n')) return text.split('\n')[0]!;
  }
  throw new Error('the process printed nothing');
}

export { firstLine };
