import {expect} from 'chai'

import {
  lines, oneLine, redactUrl, redactUrls,
} from '../../src/core/display.js'

describe('display', () => {
  describe('redactUrl', () => {
    it('over http(s), hides whatever stands before "@": a token or user:password', () => {
      expect(redactUrl('https://ghp_secretToken@github.com/org/repo.git')).to.equal('https://***@github.com/org/repo.git')
      expect(redactUrl('https://user:p%40ss@host.example/repo')).to.equal('https://***@host.example/repo')
      expect(redactUrl('HTTP://user:pw@host/repo')).to.equal('HTTP://***@host/repo')
    })

    it('elsewhere hides the password and keeps the user, who is not a secret (ssh://git@…)', () => {
      expect(redactUrl('ssh://deploy:hunter2@host/repo.git')).to.equal('ssh://deploy:***@host/repo.git')
      expect(redactUrl('ssh://git@github.com/org/repo.git')).to.equal('ssh://git@github.com/org/repo.git')
    })

    it('hides a password holding an unencoded "/", and not a port followed by an "@" in the path', () => {
      expect(redactUrl('https://deploy:Zm9v/YmFy+c2VjcmV0@127.0.0.1:8443/m.yaml')).to.equal('https://***@127.0.0.1:8443/m.yaml')
      expect(redactUrl('ssh://me:a/b@host/r.git')).to.equal('ssh://me:***@host/r.git')
      expect(redactUrl('https://host:8443/team@corp/repo')).to.equal('https://host:8443/team@corp/repo')
    })

    it('hides the values of a query string (signatures, tokens), keeping the names', () => {
      expect(redactUrl('https://b.s3.example/m.yaml?X-Amz-Credential=AKIA%2Fx&X-Amz-Signature=deadbeef#top'))
      .to.equal('https://b.s3.example/m.yaml?X-Amz-Credential=***&X-Amz-Signature=***#top')
      expect(redactUrls('cannot download http://h/m.yaml?token=s3cr3t: 404')).to.not.contain('s3cr3t')
    })

    it('leaves URLs without credentials alone, an "@" in the path included', () => {
      for (const url of ['https://github.com/org/repo.git', 'https://host/team@corp/repo', 'git@github.com:org/repo.git', 'file:///srv/a@b/repo', '/srv/mirror']) {
        expect(redactUrl(url), url).to.equal(url)
      }
    })
  })

  describe('redactUrls', () => {
    it("hides the credentials of every URL in git's messages, quoted or not", () => {
      const first = "fatal: unable to access 'https://tok3n@github.com/org/repo.git/': The requested URL returned error: 403\n"
      const second = 'fatal: could not read from https://user:pw@mirror.example/r and ssh://me:secret@host/r"'
      const out = redactUrls(first + second)
      const hidden = "fatal: unable to access 'https://***@github.com/org/repo.git/': The requested URL returned error: 403\n"
      expect(out).to.equal(`${hidden}fatal: could not read from https://***@mirror.example/r and ssh://me:***@host/r"`)
      for (const secret of ['tok3n', 'pw@', 'secret']) expect(out).to.not.contain(secret)
    })

    it('changes nothing in text without credentials', () => {
      const text = "Cloning into 'x'… user@example.com wrote https://host/path@v1 and ssh://git@host/r"
      expect(redactUrls(text)).to.equal(text)
    })
  })

  describe('oneLine', () => {
    it('shows terminal control characters as visible escapes', () => {
      expect(oneLine('red \u001B[31mtext\u001B[0m')).to.equal('red \\u001b[31mtext\\u001b[0m')
      expect(oneLine('done\rforged progress line')).to.equal('done\\u000dforged progress line')
      expect(oneLine('a\nb')).to.equal('a\\nb')
      expect(oneLine('tab\there\u0000\u007F\u009B')).to.equal('tab\\u0009here\\u0000\\u007f\\u009b')
    })

    it('shows the bidirectional overrides that make text read differently than it is', () => {
      expect(oneLine('evil\u202Egpj.exe')).to.equal('evil\\u202egpj.exe')
      expect(oneLine('\u2066x\u2069')).to.equal('\\u2066x\\u2069')
    })

    it('keeps ordinary text, accents and emoji included, and hides URL credentials', () => {
      expect(oneLine('Überprüfung von café ✓ 🚀')).to.equal('Überprüfung von café ✓ 🚀')
      expect(oneLine('cannot clone https://t0ken@h/r\n')).to.equal('cannot clone https://***@h/r\\n')
    })
  })

  it('lines keeps the line breaks of a message with its hint and escapes the rest', () => {
    expect(lines('error: bad\u001B[2J\nhint: do https://a:b@h/r')).to.equal('error: bad\\u001b[2J\nhint: do https://***@h/r')
  })
})
