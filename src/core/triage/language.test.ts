import { describe, expect, it } from 'vitest';
import { detectLanguage } from './language.js';
import { tokenize } from './text.js';

const lang = (t: string) => detectLanguage(t, tokenize(t).words);

describe('detectLanguage', () => {
  it.each([
    ['@AcmeHelp my order has still not arrived, can you help me?', 'en'],
    ['¿Por qué no ha llegado mi pedido? Llevo dos semanas esperando', 'es'],
    ["Bonjour, je n'ai toujours pas reçu ma commande, c'est pas normal", 'fr'],
    ['Hallo, meine Bestellung ist immer noch nicht da. Warum?', 'de'],
    ['Olá, o meu pedido ainda não chegou, vocês podem ajudar?', 'pt'],
    ['Ciao, il mio ordine non è ancora arrivato, perché?', 'it'],
    ['Hallo, mijn bestelling is nog niet aangekomen, hoe kan dat?', 'nl'],
    ['Почему мой заказ до сих пор не доставлен?', 'ru'],
    ['注文した商品がまだ届きません', 'ja'],
    ['我的订单还没有到', 'zh'],
    ['주문한 상품이 아직 도착하지 않았어요', 'ko'],
    ['لماذا لم يصل طلبي بعد؟', 'ar'],
  ])('%s → %s', (text, expected) => {
    expect(lang(text).value).toBe(expected);
  });

  it('says und with low confidence when there is nothing to go on', () => {
    const r = lang('😀😀 👍');
    expect(r.value).toBe('und');
    expect(r.confidence).toBeLessThan(0.5);
  });

  it('ignores handles and links when judging the script', () => {
    expect(lang('@AcmeHelp https://t.co/abc 注文した商品がまだ届きません').value).toBe('ja');
  });
});
