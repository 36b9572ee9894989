// Verifies captured webhook deliveries with Indent's own @indent/webhook verify(), and checks that a
// one-byte change to each body is rejected. Usage: WEBHOOK_SECRET=... node verify-with-indent.js deliveries.json
const fs = require('fs')
const { verify } = require('@indent/webhook')

async function main() {
  const deliveries = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
  const secret = process.env.WEBHOOK_SECRET
  let verified = 0
  let rejected = 0
  for (const d of deliveries) {
    const headers = { 'x-indent-timestamp': d.timestamp, 'x-indent-signature': d.signature }
    if (await verify({ secret, headers, body: d.body, throwError: false })) verified++
    const tampered = d.body.replace('"', "'")
    if (!(await verify({ secret, headers: { ...headers }, body: tampered, throwError: false }))) rejected++
  }
  console.log(`verified ${verified} of ${deliveries.length}; tampered copies rejected ${rejected} of ${deliveries.length}`)
  process.exit(verified === deliveries.length && rejected === deliveries.length ? 0 : 1)
}

main().catch((e) => { console.error(e); process.exit(2) })
