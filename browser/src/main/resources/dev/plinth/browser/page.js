// Runs in plinth's isolated world of every document before the page's own scripts: the page's
// JavaScript shares the DOM with it but sees none of these names, and cannot redefine what they use.
(() => {
  if (globalThis.__plinth) {
    return;
  }
  const state = { lastChange: performance.now(), changes: 0 };

  // Content changes only: nodes added or removed and text edited. Attribute churn (carousels, CSS
  // animations driven by class toggles) never settles and says nothing about the text there is to read.
  new MutationObserver(() => {
    state.lastChange = performance.now();
    state.changes++;
  }).observe(document, { subtree: true, childList: true, characterData: true });

  // The visible text's length is measured again only after the DOM changed: innerText lays the page
  // out, which is worth paying once per change, not once per probe.
  let measured = { changes: -1, chars: 0 };
  const visibleChars = () => {
    if (measured.changes !== state.changes) {
      const body = document.body;
      measured = { changes: state.changes, chars: body ? body.innerText.trim().length : 0 };
    }
    return measured.chars;
  };

  /**
   * How far the page is: ready state, ms since the last content change, whether the selectors
   * match, and (when asked) how many characters of text the body shows.
   */
  const probe = (selectors, withText) => ({
    readyState: document.readyState,
    sinceChange: performance.now() - state.lastChange,
    matched: selectors.every((s) => document.querySelector(s) !== null),
    visibleChars: withText ? visibleChars() : 0,
  });

  const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'keygen', 'link', 'meta',
    'param', 'source', 'track', 'wbr']);
  const RAW_TEXT = new Set(['style', 'script', 'xmp', 'noembed', 'noframes', 'plaintext']);
  const escapeText = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\u00a0/g, '&nbsp;');
  const escapeAttr = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/\u00a0/g, '&nbsp;');

  /**
   * The document as HTML, optionally flattened: open shadow roots replace their host's children
   * with slots filled by what is assigned to them (the composed tree a reader sees), and
   * same-origin iframes are replaced by a div holding their body (iframes 'inline') or by a quote
   * of their text (iframes 'quoted'). Scripts other than JSON-LD metadata are dropped, as is
   * noscript (scripts did run). Stops at maxChars.
   *
   * On the way it counts what the read left out (iframes, open shadow roots) and the text it kept,
   * up to lowText characters: enough to tell a short page that may be hiding its content, at no
   * cost beyond the walk the serialization makes anyway.
   */
  const serialize = (options) => {
    const out = [];
    let size = 0;
    let truncated = false;
    let textChars = 0;
    let hiddenFrames = 0;
    let foreignFrames = 0;
    let hiddenShadowRoots = 0;
    const emit = (s) => {
      if (size + s.length > options.maxChars) {
        truncated = true;
        throw truncated;
      }
      size += s.length;
      out.push(s);
    };
    const children = (node) => {
      for (let child = node.firstChild; child; child = child.nextSibling) {
        visit(child);
      }
    };
    const open = (el, name) => {
      emit('<' + name);
      for (const attr of el.attributes) {
        emit(' ' + attr.name + '="' + escapeAttr(attr.value) + '"');
      }
      emit('>');
    };
    const frame = (el) => {
      let doc = null;
      try {
        doc = el.contentDocument; // null for cross-origin frames
      } catch (e) {
        doc = null;
      }
      if (!doc || !doc.body) {
        foreignFrames++;
        return false;
      }
      if (options.iframes === 'quoted') {
        // As Jina's reader quotes a frame: its text, kept apart from the page's own.
        emit('<blockquote data-plinth-iframe="' + escapeAttr(el.src || '') + '"><pre>');
        emit(escapeText(doc.body.innerText));
        emit('</pre></blockquote>');
      } else {
        emit('<div data-plinth-iframe="' + escapeAttr(el.src || '') + '">');
        children(doc.body);
        emit('</div>');
      }
      return true;
    };
    const element = (el) => {
      const name = el.localName;
      if (name === 'noscript' || name === 'template') {
        return;
      }
      if (name === 'script') {
        if ((el.type || '').toLowerCase() === 'application/ld+json') {
          open(el, name);
          emit(el.textContent.replace(/<\/script/gi, '<\\/script'));
          emit('</script>');
        }
        return;
      }
      if (options.shadow && name === 'slot' && typeof el.assignedNodes === 'function') {
        const assigned = el.assignedNodes();
        if (assigned.length > 0) {
          assigned.forEach(visit);
        } else {
          children(el); // the slot's fallback content
        }
        return;
      }
      if (name === 'iframe' || name === 'frame') {
        if (options.iframes === 'none') {
          hiddenFrames++;
        } else if (frame(el)) {
          return;
        }
      }
      if (!options.shadow && el.shadowRoot) {
        hiddenShadowRoots++;
      }
      open(el, name);
      if (VOID.has(name)) {
        return;
      }
      if (RAW_TEXT.has(name)) {
        emit(el.textContent);
      } else if (options.shadow && el.shadowRoot) {
        children(el.shadowRoot);
      } else {
        children(name === 'template' ? el.content : el);
      }
      emit('</' + name + '>');
    };
    const visit = (node) => {
      switch (node.nodeType) {
        case Node.ELEMENT_NODE:
          element(node);
          break;
        case Node.TEXT_NODE:
          if (textChars < options.lowText) {
            textChars += node.data.trim().length;
          }
          emit(escapeText(node.data));
          break;
        case Node.DOCUMENT_FRAGMENT_NODE:
          children(node);
          break;
        default:
          break; // comments, processing instructions
      }
    };
    try {
      emit('<!DOCTYPE html>');
      if (document.documentElement) {
        visit(document.documentElement);
      }
    } catch (e) {
      if (e !== true) {
        throw e;
      }
    }
    return {
      html: out.join(''),
      truncated,
      url: location.href,
      contentType: document.contentType,
      textChars,
      hiddenFrames,
      foreignFrames,
      hiddenShadowRoots,
    };
  };

  Object.defineProperty(globalThis, '__plinth', { value: Object.freeze({ probe, serialize }) });
})();
