/**
 * Mastodon HTML → text on the documentation's example payloads
 * (docs.joinmastodon.org entities/Status, methods/notifications, methods/streaming)
 * and on hostile input.
 */
import { describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText } from './html.js';

describe('mastodon htmlToText on documented content', () => {
  it('Status example: paragraphs become a blank line, entities are decoded, a shortened link keeps its whole URL', () => {
    const content =
      '<p>&quot;I lost my inheritance with one wrong digit on my sort code&quot;</p><p><a href="https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code" rel="nofollow noopener noreferrer" target="_blank"><span class="invisible">https://www.</span><span class="ellipsis">theguardian.com/money/2019/dec</span><span class="invisible">/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code</span></a></p>';
    expect(htmlToText(content)).toBe(
      '"I lost my inheritance with one wrong digit on my sort code"\n\nhttps://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code',
    );
  });

  it('notification example: a mention keeps its @name', () => {
    expect(htmlToText('<p><span class="h-card"><a href="https://mastodon.social/@trwnh" class="u-url mention">@<span>trwnh</span></a></span> sup!</p>')).toBe('@trwnh sup!');
  });

  it('streaming example: remote content without <p>, a mention from another server', () => {
    const content = '<span class="h-card"><a class="u-url mention" href="https://pl.nulled.red/users/disarray" rel="nofollow noopener noreferrer" target="_blank">@<span>disarray</span></a></span> glad i was able to help';
    expect(htmlToText(content)).toBe('@disarray glad i was able to help');
  });

  it('a <br> is a line break and a hashtag keeps its #tag (account note example)', () => {
    const note = 'tech archaeologist, unix weenie<br><a class="hashtag" href="https://letsalllovela.in/tag/nobot" rel="nofollow noopener noreferrer" target="_blank">#nobot</a>';
    expect(htmlToText(note)).toBe('tech archaeologist, unix weenie\n#nobot');
    expect(htmlToText('<p>line one<br />line two</p><p>para two</p>')).toBe('line one\nline two\n\npara two');
  });

  it('links whose text is not the URL keep the URL beside it; non-web links keep only their text', () => {
    expect(htmlToText('<p>see <a href="https://example.com/help">our help page</a>.</p>')).toBe('see our help page (https://example.com/help).');
    expect(htmlToText('<a href="javascript:alert(1)">click</a>')).toBe('click');
    expect(htmlToText('<a href="https://example.com/a/very/long/path">example.com/a/very/…</a>')).toBe('https://example.com/a/very/long/path');
  });

  it('indentation between block tags (pretty-printed HTML) is layout, but spaces the author typed stay', () => {
    expect(htmlToText('<p>a</p>\n  <p>b</p>\n')).toBe('a\n\nb');
    expect(htmlToText('<p>two  spaces and a trailing one <br>next</p>')).toBe('two  spaces and a trailing one \nnext');
  });

  it('lists and quotes from other servers keep their lines', () => {
    expect(htmlToText('<p>steps:</p><ul><li>one</li><li>two</li></ul><blockquote><p>quoted</p></blockquote>')).toBe('steps:\n\n- one\n- two\n\nquoted');
  });
});

describe('mastodon htmlToText on hostile input', () => {
  it('escaped markup comes out as the literal (inert) text the author typed', () => {
    expect(htmlToText('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;lt;b&amp;gt;</p>')).toBe('<script>alert("x")</script> &lt;b&gt;');
  });

  it('real script/style elements and their contents are dropped; other tags and attributes never reach the text', () => {
    expect(htmlToText('<p>hello<script>document.cookie</script><style>p{}</style> <img src=x onerror="alert(1)">world</p>')).toBe('hello world');
    expect(htmlToText('<p onclick="x()">a <b>bold</b> <i title="a>b">move</i></p>')).toBe('a bold move');
    expect(htmlToText('<!-- <p>hidden</p> -->visible')).toBe('visible');
  });

  it('broken markup does not lose text: stray <, unclosed tags and anchors', () => {
    expect(htmlToText('1 < 2 and 3 > 2')).toBe('1 < 2 and 3 > 2');
    expect(htmlToText('<p>unclosed <a href="https://x.test/">link text')).toBe('unclosed link text (https://x.test/)');
    expect(htmlToText('<p>tag never closes <a href="')).toBe('tag never closes');
  });

  it('character references: numeric, named, invalid and unknown', () => {
    expect(decodeEntities('&#x1F600; &#128512; &eacute;&amp;&nbsp;|&#0;|&#xD800;|&#x110000;|&bogus;|& alone')).toBe('😀 😀 &eacute;&\u00a0|\ufffd|\ufffd|\ufffd|&bogus;|& alone');
  });

  it('odd Unicode passes through untouched', () => {
    const odd = 'RTL \u202Egnp.exe\u202C ZWJ 👩\u200D👩\u200D👧 e\u0301 🏴󠁧󠁢󠁳󠁣󠁴󠁿';
    expect(htmlToText(`<p>${odd}</p>`)).toBe(odd);
  });

  it('huge input is handled (linear work: long text, many paragraphs, many entities, long whitespace runs)', () => {
    const long = 'a'.repeat(500_000);
    expect(htmlToText(`<p>${long}</p>`)).toBe(long);
    expect(htmlToText('<p>x</p>'.repeat(50_000))).toBe(Array(50_000).fill('x').join('\n\n'));
    expect(htmlToText('&amp;'.repeat(100_000))).toBe('&'.repeat(100_000));
    expect(htmlToText(`a${' '.repeat(200_000)}b${' '.repeat(200_000)}`)).toBe(`a${' '.repeat(200_000)}b`);
    expect(htmlToText('<'.repeat(100_000) + ' b')).toBe('<'.repeat(100_000) + ' b');
  });
});
