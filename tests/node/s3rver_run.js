// Starts @20minutes/s3rver (a SigV4-checking S3 server) for the integration tests, through its
// library: node s3rver_run.js PORT DIR LOG [FAULTS]
//  - bucket "test" is created; credentials are s3rver's S3RVER / S3RVER;
//  - every request is appended to LOG as a JSON line {method, host, url, status, ms} when answered, so
//    tests can see which parts were sent;
//  - when FAULTS (a JSON file) exists and holds {"count": N, "status": S, "retry_after": R,
//    "code": C, "match": SUBSTRING}, the next N requests whose "METHOD url" contains SUBSTRING
//    get status S (with Retry-After R and an S3 error code C) instead of reaching s3rver;
//    with "delay_ms": D instead, every matching request's answer is held back D ms.
// With S3RVER_ETAG=aws in the environment, a completed multipart object's ETag is AWS's kind
// (MD5 of the part MD5s, "-" and the part count; s3rver gives the whole object's MD5) in the
// answers to the complete and to HEAD/GET of the key, as AWS S3 and Ceph answer;
// S3RVER_ETAG=aws-bad: the same, from a wrong MD5 for part 1 (an object that is not the file).
// Prints "ready" once it listens.
'use strict'
const crypto = require('node:crypto')
const fs = require('node:fs')
const S3rver = require('@20minutes/s3rver')

const [port, dir, logPath, faultsPath] = process.argv.slice(2)
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory: dir,
  silent: true,
  serviceEndpoint: 'localhost',
  configureBuckets: [{ name: 'test' }],
})

function takeFault(line) {
  if (!faultsPath || !fs.existsSync(faultsPath)) return null
  const f = JSON.parse(fs.readFileSync(faultsPath, 'utf8'))
  if (f.delay_ms) return f.match && !line.includes(f.match) ? null : f
  if (!f.count || f.count <= 0) return null
  if (f.match && !line.includes(f.match)) return null
  f.count -= 1
  fs.writeFileSync(faultsPath, JSON.stringify(f))
  return f
}

const awsEtags = new Map()  // path -> AWS multipart ETag, S3RVER_ETAG=aws
const partMd5s = new Map()  // uploadId -> Map(part number -> hex MD5), from the parts' answers

function awsEtag(req, res) {
  const [path, query] = req.url.split('?')
  const params = new URLSearchParams(query || '')
  const uploadId = params.get('uploadId')
  if (req.method === 'PUT' && uploadId && params.get('partNumber')) {
    // The part's ETag as s3rver answers it (its MD5), recorded for the complete.
    const setHeader = res.setHeader.bind(res)
    res.setHeader = (name, value) => {
      if (name.toLowerCase() === 'etag') {
        if (!partMd5s.has(uploadId)) partMd5s.set(uploadId, new Map())
        partMd5s.get(uploadId).set(Number(params.get('partNumber')), String(value).replace(/"/g, ''))
      }
      return setHeader(name, value)
    }
  } else if (req.method === 'POST' && uploadId) {
    const parts = [...(partMd5s.get(uploadId) || new Map()).entries()].sort((a, b) => a[0] - b[0])
    const md5 = crypto.createHash('md5')
    for (const [n, hex] of parts) {
      const wrong = process.env.S3RVER_ETAG === 'aws-bad' && n === 1
      md5.update(wrong ? crypto.createHash('md5').digest() : Buffer.from(hex, 'hex'))
    }
    const etag = `"${md5.digest('hex')}-${parts.length}"`
    awsEtags.set(path, etag)
    // The answer's body carries the ETag too.
    const end = res.end.bind(res)
    res.end = (chunk, ...rest) => {
      if (chunk && res.statusCode === 200) {
        chunk = String(chunk).replace(/<ETag>[^<]*<\/ETag>/, `<ETag>${etag}</ETag>`)
        res.setHeader('Content-Length', Buffer.byteLength(chunk))
      }
      return end(chunk, ...rest)
    }
  } else if ((req.method === 'HEAD' || req.method === 'GET') && awsEtags.has(path)) {
    const setHeader = res.setHeader.bind(res)
    res.setHeader = (name, value) =>
      setHeader(name, name.toLowerCase() === 'etag' ? awsEtags.get(path) : value)
  } else if (req.method === 'PUT') {
    awsEtags.delete(path)  // a single PUT replaces the object: s3rver's ETag is right again
  }
}

server.run().then(() => {
  const http = server.httpServer
  const handlers = http.listeners('request')
  http.removeAllListeners('request')
  http.on('request', (req, res) => {
    const started = Date.now()
    const url = req.url  // as sent: s3rver rewrites req.url of virtual-host requests
    const line = `${req.method} ${url}`
    res.on('finish', () => {
      fs.appendFileSync(logPath, JSON.stringify({ method: req.method, host: req.headers.host, url, status: res.statusCode, ms: Date.now() - started }) + '\n')
    })
    const fault = takeFault(line)
    if (fault && fault.delay_ms) {
      // The answer waits, not the request: s3rver stores the part at once, so a client killed
      // while waiting leaves nothing behind that could land after its next attempt.
      const end = res.end.bind(res)
      res.end = (...args) => { setTimeout(() => end(...args), fault.delay_ms); return res }
    } else if (fault) {
      req.resume()
      req.on('end', () => {
        const headers = { 'Content-Type': 'application/xml' }
        if (fault.retry_after !== undefined) headers['Retry-After'] = String(fault.retry_after)
        res.writeHead(fault.status, headers)
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code || 'InternalError'}</Code><Message>injected by the test</Message></Error>`)
      })
      return
    }
    if (String(process.env.S3RVER_ETAG).startsWith('aws')) awsEtag(req, res)
    for (const h of handlers) h.call(http, req, res)
  })
  process.stdout.write('ready\n')
}).catch((err) => {
  process.stderr.write(String(err && err.stack || err) + '\n')
  process.exit(1)
})
