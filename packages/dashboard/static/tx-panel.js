// "Send a transaction through the mixnet" from the page: the browser build of @mixnet/client
// (/sdk/mixnet-client.js) and viem (/sdk/viem.js), signed by the devnet's account #0, the receipt
// read back through the mixnet too. Loaded on first use, so the rest of the page never waits for it.

const log = (text) => {
  const el = document.getElementById('tx-log');
  el.textContent += `${text}\n`;
};

let session;

async function connect(cfg) {
  const sdk = await import('/sdk/mixnet-client.js');
  const viem = await import('/sdk/viem.js');
  const client = await sdk.createClient({
    directory: { url: `${location.origin}${cfg.directory.path}`, publicKey: cfg.directory.publicKey },
  });
  const transport = sdk.mixnetTransport({ client, serviceProvider: cfg.serviceProvider });
  const reader = viem.createPublicClient({ transport, pollingInterval: 250 });
  const chainId = await reader.getChainId();
  const chain = viem.defineChain({
    id: chainId,
    name: 'mixnet devnet',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: ['http://mixnet'] } },
  });
  const account = viem.privateKeyToAccount(cfg.devPrivateKey);
  return {
    viem,
    client,
    account,
    wallet: viem.createWalletClient({ account, chain, transport }),
    reader: viem.createPublicClient({ chain, transport, pollingInterval: 250 }),
  };
}

export function setupTxPanel() {
  const form = document.getElementById('tx-form');
  const button = document.getElementById('tx-send');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    document.getElementById('tx-log').textContent = '';
    document.getElementById('tx-card').dataset.result = 'pending';
    try {
      const cfg = await (await fetch('/api/config')).json();
      if (!cfg.directory || !cfg.serviceProvider || !cfg.devPrivateKey)
        throw new Error('this testnet has no directory, service provider or chain');
      const started = performance.now();
      if (!session) {
        log('loading the browser client and joining the mixnet…');
        session = await connect(cfg);
        log(`joined as ${session.client.address.slice(0, 16)}… in ${(performance.now() - started).toFixed(0)} ms`);
      }
      const { viem, wallet, reader, account } = session;
      const to = document.getElementById('tx-to').value.trim();
      const value = viem.parseEther(document.getElementById('tx-value').value.trim());
      const t0 = performance.now();
      const hash = await wallet.sendTransaction({ to, value });
      const sentMs = performance.now() - t0;
      log(`tx ${hash}\n  from ${account.address} sent in ${sentMs.toFixed(0)} ms`);
      const receipt = await reader.waitForTransactionReceipt({ hash, timeout: 60_000 });
      const totalMs = performance.now() - t0;
      log(
        `receipt: ${receipt.status} in block ${receipt.blockNumber}, gas ${receipt.gasUsed}\nlatency: receipt after ${totalMs.toFixed(0)} ms`,
      );
      const card = document.getElementById('tx-card');
      card.dataset.result = receipt.status;
      card.dataset.hash = hash;
      card.dataset.latencyMs = String(Math.round(totalMs));
    } catch (err) {
      log(`failed: ${err?.shortMessage ?? err?.message ?? err}`);
      document.getElementById('tx-card').dataset.result = 'error';
    } finally {
      button.disabled = false;
    }
  });
}
