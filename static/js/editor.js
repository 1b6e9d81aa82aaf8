/*
 * The structured editor of a plan's content (documents/content.py is the schema).
 *
 * Loads the content embedded in the page (json_script "plan-content") and the directory data
 * ("editor-data": units, signers, section kinds, authority forms), renders an editable form, and on
 * save POSTs the whole content as JSON to the page's URL. The server validates everything and
 * either saves it all or nothing; its Vietnamese message is shown inline.
 *
 * State lives in one object (`state`); inputs write into it as the user types, structural changes
 * (add, remove, move) re-render the form. Plain DOM, no dependencies.
 *
 * The same content carries every type the system issues (Kế hoạch and the other types of Mẫu 1.4,
 * Quyết định, Công văn): the type chooses which optional fields are shown (Kính gửi, "Theo đề nghị
 * của", the công văn's drafting unit), the labels of the top-level sections (I., II. or "Điều 1.")
 * and the signature preview (no "TM." when the head issues a decision in their own name). Fields a
 * type does not use keep their values and are still sent.
 */
(function () {
  "use strict";

  const t = typeof window.gettext === "function" ? window.gettext : (s) => s;
  const form = document.getElementById("editor-form");
  const root = document.getElementById("editor");
  if (!form || !root) return;

  const data = JSON.parse(document.getElementById("editor-data").textContent);
  const statusBox = document.getElementById("editor-status");
  const errorBox = document.getElementById("editor-error");
  const dirtyBox = document.getElementById("editor-dirty");
  const saveButton = document.getElementById("editor-save");
  const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const unitsById = new Map(data.units.map((u) => [u.id, u]));
  const kindLabels = Object.fromEntries(data.section_kinds.map((k) => [k.value, k.label]));
  const LETTERS = "abcdđeghiklmnopqrstuvxy";
  const MAX_DEPTH = 3;
  // The types the system issues (documents/types.py), and the stamps of ô 10a / 10b.
  const DOC_TYPES = data.doc_types;
  const URGENCY = ["", "KHẨN", "THƯỢNG KHẨN", "HỎA TỐC"];
  const SECRECY = ["", "MẬT", "TỐI MẬT", "TUYỆT MẬT"];
  const DECISION = "QĐ";
  const LETTER = "CV";

  let state = normalize(JSON.parse(document.getElementById("plan-content").textContent));
  let dirty = false;
  let saving = false;
  let nextId = 0;
  let focusAfterRender = null;
  const openState = new WeakMap(); // block/task object -> whether its <details> is open

  // ------------------------------------------------------------------------------------------
  // Shape

  function str(value) {
    return typeof value === "string" ? value : value == null ? "" : String(value);
  }

  function strList(value) {
    return Array.isArray(value) ? value.map(str) : [];
  }

  function unitRefs(value) {
    if (!Array.isArray(value)) return [];
    return value.map((u) =>
      typeof u === "string" ? { name: u, unit_id: null } : { name: str(u && u.name), unit_id: u && Number.isInteger(u.unit_id) ? u.unit_id : null }
    );
  }

  function normalizeTask(task) {
    task = task || {};
    return {
      title: str(task.title),
      description: strList(task.description),
      lead_units: unitRefs(task.lead_units),
      coordinating_units: unitRefs(task.coordinating_units),
      timeline: str(task.timeline),
      budget_vnd: Number.isInteger(task.budget_vnd) ? task.budget_vnd : null,
      budget_source: str(task.budget_source),
    };
  }

  function normalizeBlock(block) {
    block = block || {};
    return {
      kind: str(block.kind) || "general",
      title: str(block.title),
      paragraphs: strList(block.paragraphs),
      tasks: Array.isArray(block.tasks) ? block.tasks.map(normalizeTask) : [],
      children: Array.isArray(block.children) ? block.children.map(normalizeBlock) : [],
    };
  }

  function normalizeAppendix(appendix) {
    appendix = appendix || {};
    return {
      title: str(appendix.title),
      sections: Array.isArray(appendix.sections) ? appendix.sections.map(normalizeBlock) : [],
    };
  }

  function normalize(content) {
    content = content || {};
    const recipients = content.recipients || {};
    const signature = content.signature || {};
    const docType = str(content.doc_type) || "KH";
    return {
      title: str(content.title),
      year: content.year || new Date().getFullYear(),
      doc_type: docType,
      place: str(content.place),
      legal_bases: strList(content.legal_bases),
      preamble: str(content.preamble),
      sections: Array.isArray(content.sections) ? content.sections.map(normalizeBlock) : [],
      closing: str(content.closing),
      reporting_deadlines: Array.isArray(content.reporting_deadlines)
        ? content.reporting_deadlines.map((d) => ({ text: str(d && d.text), due_date: str(d && d.due_date) }))
        : [],
      recipients: {
        units: unitRefs(recipients.units),
        lines: strList(recipients.lines),
        archive: str(recipients.archive) || "Lưu: VT.",
      },
      signature: {
        authority: signature.authority == null ? "TM." : str(signature.authority),
        collective: signature.collective == null ? "ỦY BAN NHÂN DÂN" : str(signature.collective),
        deputy_for: str(signature.deputy_for),
        position: str(signature.position),
        signer_name: str(signature.signer_name),
        signer_id: Number.isInteger(signature.signer_id) ? signature.signer_id : null,
      },
      addressees: strList(content.addressees),
      urgency: str(content.urgency),
      secrecy: str(content.secrecy),
      proposer: str(content.proposer),
      issuing_authority: str(content.issuing_authority),
      issued_by: str(content.issued_by),
      drafting_unit_abbreviation: str(content.drafting_unit_abbreviation),
      appendices: Array.isArray(content.appendices) ? content.appendices.map(normalizeAppendix) : [],
      // Not edited here, kept as they are (ô 11-13 of ND30, set by import or the API).
      circulation_note: str(content.circulation_note),
      drafter_initials: str(content.drafter_initials),
      copies: Number.isInteger(content.copies) ? content.copies : null,
      contact_line: str(content.contact_line),
      uses_state_budget: content.uses_state_budget !== false,
    };
  }

  function isDecision() {
    return state.doc_type === DECISION;
  }

  function isLetter() {
    return state.doc_type === LETTER;
  }

  /** Mirrors PlanContent.is_issued_by_individual: a decision unless set otherwise. */
  function issuedByIndividual() {
    return state.issued_by ? state.issued_by === "individual" : isDecision();
  }

  /** The JSON to send: trimmed lines without blanks; the server validates the rest. */
  function cleaned(content) {
    const lines = (list) => list.map((s) => s.trim()).filter(Boolean);
    const refs = (list) => list.filter((u) => u.name.trim()).map((u) => ({ name: u.name.trim(), unit_id: u.unit_id }));
    const task = (x) => ({
      title: x.title,
      description: lines(x.description),
      lead_units: refs(x.lead_units),
      coordinating_units: refs(x.coordinating_units),
      timeline: x.timeline,
      budget_vnd: x.budget_vnd,
      budget_source: x.budget_source.trim(),
    });
    const block = (b) => ({
      kind: b.kind,
      title: b.title,
      paragraphs: lines(b.paragraphs),
      tasks: b.tasks.map(task),
      children: b.children.map(block),
    });
    const year = /^\s*\d+\s*$/.test(String(content.year)) ? parseInt(content.year, 10) : content.year;
    return {
      title: content.title,
      year: year,
      doc_type: content.doc_type,
      place: content.place,
      legal_bases: lines(content.legal_bases),
      preamble: content.preamble,
      sections: content.sections.map(block),
      closing: content.closing,
      reporting_deadlines: content.reporting_deadlines.filter((d) => d.text.trim() || d.due_date),
      recipients: {
        units: refs(content.recipients.units),
        lines: lines(content.recipients.lines),
        archive: content.recipients.archive,
      },
      signature: Object.assign({}, content.signature),
      addressees: lines(content.addressees),
      urgency: content.urgency,
      secrecy: content.secrecy,
      proposer: content.proposer,
      issuing_authority: content.issuing_authority,
      issued_by: content.issued_by,
      drafting_unit_abbreviation: content.drafting_unit_abbreviation.trim(),
      appendices: content.appendices.map((a) => ({ title: a.title, sections: a.sections.map(block) })),
      circulation_note: content.circulation_note,
      drafter_initials: content.drafter_initials,
      copies: content.copies,
      contact_line: content.contact_line,
      uses_state_budget: content.uses_state_budget,
    };
  }

  // ------------------------------------------------------------------------------------------
  // DOM helpers

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value == null || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "value") el.value = value;
      else if (key === "checked") el.checked = Boolean(value);
      else el.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function newId(prefix) {
    nextId += 1;
    return `${prefix || "ed"}-${nextId}`;
  }

  function markDirty() {
    if (!dirty) {
      dirty = true;
      dirtyBox.textContent = t("Có thay đổi chưa lưu.");
    }
  }

  function field(labelText, control, help) {
    const id = control.id || newId("f");
    control.id = id;
    return h("div", { class: "field" },
      h("label", { for: id, text: labelText }), control,
      help ? h("p", { class: "help", text: help }) : null);
  }

  function textInput(labelText, get, set, opts) {
    opts = opts || {};
    const input = h("input", {
      type: opts.type || "text",
      value: get(),
      placeholder: opts.placeholder,
      required: opts.required,
      "data-focus-key": opts.focusKey,
      inputmode: opts.inputmode,
      min: opts.min,
      max: opts.max,
      oninput: (e) => { set(e.target.value); markDirty(); if (opts.after) opts.after(e.target.value); },
    });
    return field(labelText, input, opts.help);
  }

  function autosize(area) {
    area.style.height = "auto";
    area.style.height = Math.min(area.scrollHeight + 2, 480) + "px";
  }

  function textArea(labelText, get, set, opts) {
    opts = opts || {};
    const area = h("textarea", {
      rows: opts.rows || 3,
      placeholder: opts.placeholder,
      "data-autosize": true,
      oninput: (e) => { set(e.target.value); markDirty(); autosize(e.target); },
    });
    area.value = get();
    return field(labelText, area, opts.help);
  }

  /** A list of strings edited as a textarea, one element per line. */
  function linesArea(labelText, list, opts) {
    opts = opts || {};
    return textArea(labelText, () => list.join("\n"), (value) => {
      list.splice(0, list.length, ...value.split("\n"));
    }, { rows: opts.rows || Math.min(10, Math.max(2, list.length + 1)), help: opts.help, placeholder: opts.placeholder });
  }

  function checkbox(labelText, get, set, opts) {
    const input = h("input", {
      type: "checkbox",
      checked: get(),
      onchange: (e) => { set(e.target.checked); markDirty(); },
    });
    return h("div", { class: "field" },
      h("label", { class: "checkbox" }, input, " " + labelText),
      opts && opts.help ? h("p", { class: "help", text: opts.help }) : null);
  }

  function select(labelText, options, get, set, opts) {
    const el = h("select", {
      onchange: (e) => { set(e.target.value); markDirty(); if (opts && opts.after) opts.after(e.target.value); },
    }, options.map((o) => h("option", { value: o.value, text: o.label })));
    el.value = get();
    return field(labelText, el, opts && opts.help);
  }

  function iconButton(label, text, onclick, cls) {
    return h("button", { type: "button", class: `btn btn-small ${cls || "btn-ghost-dark"}`, title: label, "aria-label": label, onclick }, text);
  }

  /** Up / down / remove buttons for item `index` of `list`. */
  function itemTools(list, index, what) {
    return h("div", { class: "item-tools" },
      iconButton(t("Chuyển lên"), "↑", () => move(list, index, -1)),
      iconButton(t("Chuyển xuống"), "↓", () => move(list, index, 1)),
      iconButton(t("Xóa") + " " + what, "✕", () => {
        if (window.confirm(t("Xóa") + " " + what + "?")) {
          list.splice(index, 1);
          markDirty();
          render();
        }
      }, "btn-danger-ghost"));
  }

  function move(list, index, delta) {
    const target = index + delta;
    if (target < 0 || target >= list.length) return;
    const [item] = list.splice(index, 1);
    list.splice(target, 0, item);
    markDirty();
    render();
  }

  function addButton(text, onclick) {
    return h("button", { type: "button", class: "btn btn-small btn-add", onclick }, "+ " + text);
  }

  function collapsible(obj, defaultOpen, summary, ...body) {
    const details = h("details", { class: "collapsible" }, h("summary", {}, summary), ...body);
    details.open = openState.has(obj) ? openState.get(obj) : defaultOpen;
    details.addEventListener("toggle", () => openState.set(obj, details.open));
    return details;
  }

  // ------------------------------------------------------------------------------------------
  // Import notes: every doubt the importer noted (documents/intake, ImportResult.issues) is shown
  // next to the part it concerns ("path": "sections.2.children.0", "signature", "recipients",
  // "title", "place", "date"), and stays with that part when sections are moved.

  const issuesScript = document.getElementById("import-issues");
  const importIssues = issuesScript ? JSON.parse(issuesScript.textContent) || [] : [];
  const notesByTarget = new Map(); // a block, task or appendix object, or a field name → issues

  function resolveIssuePath(path) {
    const parts = String(path || "").split(".").filter(Boolean);
    if (!parts.length) return null;
    if (parts[0] !== "sections" && parts[0] !== "appendices") return parts[0];
    let node = state;
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const list = node[parts[i]];
      const next = Array.isArray(list) ? list[Number(parts[i + 1])] : undefined;
      if (!next) break;
      openState.set(next, true); // open the way down to it
      node = next;
    }
    return node === state ? null : node;
  }

  importIssues.forEach((issue, index) => {
    issue.anchor = "import-issue-" + (index + 1);
    const target = resolveIssuePath(issue.path);
    if (target == null) return;
    if (!notesByTarget.has(target)) notesByTarget.set(target, []);
    notesByTarget.get(target).push(issue);
  });

  /** The path of `target` in `node` ("sections.1.children.0"), or null. */
  function pathOf(target, node, prefix) {
    for (const key of ["sections", "children", "tasks", "appendices"]) {
      const list = node[key];
      if (!Array.isArray(list)) continue;
      for (let i = 0; i < list.length; i += 1) {
        const path = (prefix ? prefix + "." : "") + key + "." + i;
        if (list[i] === target) return path;
        const found = pathOf(target, list[i], path);
        if (found) return found;
      }
    }
    return null;
  }

  /** After a save the content is new objects: the notes follow their parts by position. */
  function moveNotes(oldState, newState) {
    const moved = [];
    notesByTarget.forEach((issues, target) => {
      const path = typeof target === "string" ? target : pathOf(target, oldState, "");
      if (path) moved.push([path, issues]);
    });
    notesByTarget.clear();
    const previous = state;
    state = newState;
    moved.forEach(([path, issues]) => {
      const target = resolveIssuePath(path);
      if (target != null) notesByTarget.set(target, issues);
    });
    state = previous;
  }

  function importNotes(target) {
    const issues = notesByTarget.get(target);
    if (!issues || !issues.length) return null;
    return h("div", { class: "import-note", role: "note" },
      ...issues.map((issue) => h("p", { id: issue.anchor, class: "alert alert-warning import-note__item" },
        h("strong", { text: t("Cần kiểm tra:") }), " ", issue.message,
        issue.text ? h("span", {}, " — ", h("q", { text: issue.text })) : null)));
  }

  function noteBadge(target) {
    return notesByTarget.has(target)
      ? h("span", { class: "badge badge-warning", text: t("Cần kiểm tra") })
      : null;
  }

  // ------------------------------------------------------------------------------------------
  // Numbering (as the document reads: I., 1., a), -)

  function roman(n) {
    const table = [[1000, "M"], [900, "CM"], [500, "D"], [400, "CD"], [100, "C"], [90, "XC"], [50, "L"], [40, "XL"], [10, "X"], [9, "IX"], [5, "V"], [4, "IV"], [1, "I"]];
    let out = "";
    for (const [value, letters] of table) {
      while (n >= value) { out += letters; n -= value; }
    }
    return out;
  }

  function blockLabel(depth, index, articles) {
    if (depth === 0 && articles) return t("Điều") + " " + (index + 1) + ".";
    if (depth === 0) return roman(index + 1) + ".";
    if (depth === 1) return index + 1 + ".";
    if (depth === 2) return LETTERS[index % LETTERS.length].repeat(Math.floor(index / LETTERS.length) + 1) + ")";
    return "-";
  }

  function formatVnd(amount) {
    if (amount == null || amount === "" || Number.isNaN(amount)) return "";
    return String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ".") + " " + t("đồng");
  }

  // ------------------------------------------------------------------------------------------
  // Unit picker: directory units (checkboxes, with a filter) plus free-text units

  function unitPicker(labelText, refs, opts) {
    opts = opts || {};
    const wrapper = h("fieldset", { class: "unit-picker" }, h("legend", { text: labelText }));
    const chips = h("ul", { class: "chips", "aria-label": t("Đơn vị đã chọn") });
    const count = h("span", { class: "muted small" });
    const filterId = newId("filter");
    const filter = h("input", { type: "search", id: filterId, autocomplete: "off", placeholder: t("Gõ để lọc…") });
    const groups = new Map();
    for (const unit of data.units) {
      if (!groups.has(unit.kind_label)) groups.set(unit.kind_label, []);
      groups.get(unit.kind_label).push(unit);
    }
    const boxes = [];
    const list = h("div", { class: "unit-picker__list" });
    for (const [kindLabel, units] of groups) {
      const group = h("div", { class: "unit-picker__group" }, h("p", { class: "unit-picker__kind", text: kindLabel }));
      for (const unit of units) {
        const box = h("input", {
          type: "checkbox",
          value: unit.id,
          checked: refs.some((r) => r.unit_id === unit.id),
          onchange: (e) => {
            const at = refs.findIndex((r) => r.unit_id === unit.id);
            if (e.target.checked && at < 0) refs.push({ name: unit.name, unit_id: unit.id });
            if (!e.target.checked && at >= 0) refs.splice(at, 1);
            markDirty();
            refresh();
          },
        });
        boxes.push(box);
        group.append(h("label", { class: "checkbox", "data-name": (unit.name + " " + (unit.short_name || "")).toLowerCase() }, box, " " + unit.name));
      }
      list.append(group);
    }
    filter.addEventListener("input", () => {
      const q = filter.value.trim().toLowerCase();
      for (const label of list.querySelectorAll("label[data-name]")) {
        label.hidden = Boolean(q) && !label.dataset.name.includes(q);
      }
    });
    const directory = collapsible(refs, Boolean(opts.open),
      h("span", {}, t("Chọn từ danh mục đơn vị") + " ", count),
      h("div", { class: "field" }, h("label", { for: filterId, text: t("Lọc theo tên") }), filter),
      list);

    const freeLines = refs.filter((r) => r.unit_id == null).map((r) => r.name);
    const free = h("textarea", {
      rows: Math.max(2, freeLines.length + 1),
      oninput: (e) => {
        const named = refs.filter((r) => r.unit_id != null);
        const typed = e.target.value.split("\n").map((name) => ({ name, unit_id: null }));
        refs.splice(0, refs.length, ...named, ...typed);
        markDirty();
        refresh();
      },
    });
    free.value = freeLines.join("\n");

    function refresh() {
      chips.replaceChildren();
      const named = refs.filter((r) => r.unit_id != null);
      for (const ref of named) {
        chips.append(h("li", { class: "chip" }, ref.name,
          h("button", {
            type: "button", class: "chip__remove", "aria-label": t("Bỏ chọn") + " " + ref.name,
            onclick: () => {
              const at = refs.indexOf(ref);
              if (at >= 0) refs.splice(at, 1);
              const box = boxes.find((b) => Number(b.value) === ref.unit_id);
              if (box) box.checked = false;
              markDirty();
              refresh();
            },
          }, "×")));
      }
      chips.hidden = named.length === 0;
      count.textContent = "(" + named.length + " " + t("đã chọn") + ")";
    }
    refresh();
    wrapper.append(chips, directory,
      field(opts.freeLabel || t("Đơn vị khác, ngoài danh mục (mỗi dòng một đơn vị)"), free));
    return wrapper;
  }

  // ------------------------------------------------------------------------------------------
  // Parts of the form

  function renderGeneral() {
    const typeOptions = DOC_TYPES.some((d) => d.value === state.doc_type)
      ? DOC_TYPES
      : DOC_TYPES.concat([{ value: state.doc_type, label: state.doc_type }]);
    const levelOptions = (levels) => levels.map((v) => ({ value: v, label: v || t("— Không —") }));
    const part = h("section", { class: "card editor-part", "aria-labelledby": "ed-general" },
      h("h2", { id: "ed-general", text: t("Thông tin chung") }),
      h("div", { class: "grid-3" },
        select(t("Loại văn bản"), typeOptions, () => state.doc_type, (v) => { state.doc_type = v; }, {
          // The type decides which fields follow and how sections are numbered.
          after: () => render(),
          help: t("Theo Phụ lục III Nghị định 30/2020/NĐ-CP."),
        }),
        textInput(t("Năm"), () => String(state.year), (v) => { state.year = v; }, { type: "number", min: 2000, max: 2100 }),
        textInput(t("Địa danh"), () => state.place, (v) => { state.place = v; }, { placeholder: t("Ví dụ: Đồng Nai") })),
      importNotes("place"),
      importNotes("date"),
      textInput(isLetter() ? t("Trích yếu (V/v …)") : t("Trích yếu"), () => state.title, (v) => { state.title = v; }, {
        required: true,
        placeholder: isLetter() ? t("V/v báo cáo kết quả công tác năm 2024")
          : isDecision() ? t("Về việc thành lập Tổ công tác …") : t("Hoạt động … năm 2024"),
      }),
      importNotes("title"),
      h("div", { class: "grid-3" },
        select(t("Độ khẩn"), levelOptions(URGENCY), () => state.urgency, (v) => { state.urgency = v; }),
        select(t("Độ mật"), levelOptions(SECRECY), () => state.secrecy, (v) => { state.secrecy = v; }),
        checkbox(t("Dùng ngân sách nhà nước"), () => state.uses_state_budget, (v) => { state.uses_state_budget = v; }, {
          help: t("Bỏ chọn nếu kế hoạch không dùng ngân sách nhà nước: bỏ qua bước thẩm định kinh phí."),
        }),
        isLetter()
          ? textInput(t("Viết tắt đơn vị soạn thảo"), () => state.drafting_unit_abbreviation, (v) => { state.drafting_unit_abbreviation = v; }, {
            placeholder: "VX", help: t("Số công văn: 12/UBND-VX."),
          })
          : null),
      isDecision() ? renderDecisionFields() : null,
      linesArea(t("Kính gửi (mỗi dòng một nơi nhận)"), state.addressees, {
        rows: Math.max(2, state.addressees.length + 1),
        placeholder: t("Sở Tài chính"),
        help: t("Công văn; tờ trình, báo cáo gửi cấp trên. Một nơi: cùng dòng với “Kính gửi:”; nhiều nơi: mỗi nơi một dòng."),
      }),
      linesArea(t("Căn cứ (mỗi dòng một căn cứ)"), state.legal_bases, { rows: Math.max(3, state.legal_bases.length + 1), placeholder: t("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19/6/2015;") }),
      textArea(t("Phần mở đầu"), () => state.preamble, (v) => { state.preamble = v; }, { rows: 3, placeholder: t("Ủy ban nhân dân tỉnh ban hành Kế hoạch … như sau:") }));
    return part;
  }

  function renderDecisionFields() {
    const issuedByOptions = [
      { value: "", label: t("Người đứng đầu (mặc định của quyết định)") },
      { value: "individual", label: t("Người đứng đầu (Chủ tịch …), không ghi TM.") },
      { value: "collective", label: t("Tập thể (TM. Ủy ban nhân dân)") },
    ];
    return h("div", { class: "grid-3" },
      select(t("Thẩm quyền ban hành"), issuedByOptions, () => state.issued_by, (v) => { state.issued_by = v; }, { after: () => render() }),
      textInput(t("Dòng thẩm quyền (nếu khác mặc định)"), () => state.issuing_authority, (v) => { state.issuing_authority = v; }, {
        placeholder: t("CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …"),
      }),
      textInput(t("Theo đề nghị của"), () => state.proposer, (v) => { state.proposer = v; }, {
        placeholder: t("Giám đốc Sở Nội vụ"),
      }));
  }

  function renderTask(task, list, index) {
    const budgetHint = h("p", { class: "help", text: formatVnd(task.budget_vnd) });
    const summary = h("span", { class: "collapsible__title" },
      h("span", { class: "badge badge-info", text: t("Nhiệm vụ") }), noteBadge(task), " ", task.title || t("(chưa có tên)"));
    const titleInput = textInput(t("Tên nhiệm vụ"), () => task.title, (v) => { task.title = v; }, {
      required: true,
      focusKey: task === focusAfterRender ? "focus" : null,
      after: (v) => { summary.lastChild.textContent = v || t("(chưa có tên)"); },
    });
    const budget = h("input", {
      type: "number", min: 0, step: 1, inputmode: "numeric",
      value: task.budget_vnd == null ? "" : String(task.budget_vnd),
      oninput: (e) => {
        const raw = e.target.value.trim();
        task.budget_vnd = raw === "" ? null : Number(raw);
        budgetHint.textContent = formatVnd(task.budget_vnd);
        markDirty();
      },
    });
    const budgetId = newId("budget");
    budget.id = budgetId;
    return h("div", { class: "editor-task" },
      collapsible(task, task === focusAfterRender || !task.title, summary,
        itemTools(list, index, t("nhiệm vụ này")),
        importNotes(task),
        titleInput,
        linesArea(t("Nội dung, yêu cầu (mỗi dòng một đoạn)"), task.description),
        h("div", { class: "grid-2" },
          unitPicker(t("Đơn vị chủ trì"), task.lead_units),
          unitPicker(t("Đơn vị phối hợp"), task.coordinating_units)),
        h("div", { class: "grid-2" },
          textInput(t("Thời gian thực hiện"), () => task.timeline, (v) => { task.timeline = v; }, { placeholder: t("Ví dụ: quý II/2024; 01 số/quý; trong năm 2024") }),
          h("div", { class: "field" }, h("label", { for: budgetId, text: t("Dự toán kinh phí (đồng)") }), budget, budgetHint)),
        textInput(t("Nguồn kinh phí"), () => task.budget_source, (v) => { task.budget_source = v; }, { placeholder: t("Ví dụ: ngân sách tỉnh; xã hội hóa") })));
  }

  function renderBlock(block, list, index, depth, articles) {
    const label = blockLabel(depth, index, articles);
    const fallback = depth === 0 ? kindLabels[block.kind] || ""
      : block.tasks.length ? "— " + block.tasks[0].title : "";
    const summary = h("span", { class: "collapsible__title" },
      h("strong", { text: label }), noteBadge(block), " ", block.title || fallback);
    const body = [
      itemTools(list, index, t("mục này")),
      importNotes(block),
      depth === 0
        ? h("div", { class: "grid-2" },
          select(t("Loại mục"), data.section_kinds, () => block.kind, (v) => { block.kind = v; }),
          textInput(t("Tiêu đề mục"), () => block.title, (v) => { block.title = v; }, {
            focusKey: block === focusAfterRender ? "focus" : null,
            after: (v) => { summary.lastChild.textContent = v; },
          }))
        : textInput(t("Tiêu đề"), () => block.title, (v) => { block.title = v; }, {
          focusKey: block === focusAfterRender ? "focus" : null,
          after: (v) => { summary.lastChild.textContent = v; },
        }),
      linesArea(t("Các đoạn văn (mỗi dòng một đoạn)"), block.paragraphs),
    ];
    const tasks = h("div", { class: "editor-tasks" });
    block.tasks.forEach((task, i) => tasks.append(renderTask(task, block.tasks, i)));
    body.push(tasks, addButton(t("Thêm nhiệm vụ"), () => {
      const task = normalizeTask({});
      block.tasks.push(task);
      openState.set(block, true);
      focusAfterRender = task;
      markDirty();
      render();
    }));
    const children = h("div", { class: "editor-children" });
    block.children.forEach((child, i) => children.append(renderBlock(child, block.children, i, depth + 1)));
    body.push(children);
    if (depth < MAX_DEPTH) {
      const childLabel = depth === 0 ? "1., 2." : depth === 1 ? "a), b)" : "-";
      body.push(addButton(t("Thêm mục con") + " (" + childLabel + ")", () => {
        const child = normalizeBlock({});
        block.children.push(child);
        openState.set(block, true);
        focusAfterRender = child;
        markDirty();
        render();
      }));
    }
    return h("div", { class: `editor-block editor-depth-${depth}` },
      collapsible(block, depth < 1 || block === focusAfterRender, summary, ...body));
  }

  /** A list of top-level sections with its "add" button: the body, or an appendix's own. */
  function sectionList(part, sections, articles) {
    sections.forEach((block, i) => part.append(renderBlock(block, sections, i, 0, articles)));
    part.append(addButton(articles ? t("Thêm điều (Điều 1., Điều 2., …)") : t("Thêm mục lớn (I., II., …)"), () => {
      const block = normalizeBlock({ kind: "general" });
      sections.push(block);
      focusAfterRender = block;
      markDirty();
      render();
    }));
    return part;
  }

  function renderSections() {
    const articles = isDecision();
    const part = h("section", { class: "card editor-part", "aria-labelledby": "ed-sections" },
      h("h2", { id: "ed-sections", text: articles ? t("Các điều") : t("Nội dung các mục") }),
      h("p", { class: "help", text: articles
        ? t("Mỗi điều: tiêu đề (nếu có) hoặc đoạn văn đầu tiên đứng sau “Điều n.”; khoản 1., 2.; điểm a), b).")
        : t("Mục lớn đánh số I., II.; mục con 1., 2.; điểm a), b). Mỗi mục có thể có đoạn văn, nhiệm vụ và mục con.") }));
    return sectionList(part, state.sections, articles);
  }

  function renderAppendices() {
    const part = h("section", { class: "card editor-part", "aria-labelledby": "ed-appendices" },
      h("h2", { id: "ed-appendices", text: t("Phụ lục") }),
      h("p", { class: "help", text: t("Mỗi phụ lục bắt đầu ở trang mới, đánh số trang và số mục riêng; từ hai phụ lục trở lên được đánh số I, II.") }));
    state.appendices.forEach((appendix, i) => {
      const label = state.appendices.length > 1 ? t("Phụ lục") + " " + roman(i + 1) : t("Phụ lục");
      const summary = h("span", { class: "collapsible__title" },
        h("strong", { text: label }), noteBadge(appendix), " ", appendix.title || t("(chưa có tên)"));
      const body = h("div", { class: "editor-appendix" },
        itemTools(state.appendices, i, t("phụ lục này")),
        importNotes(appendix),
        textInput(t("Tên phụ lục"), () => appendix.title, (v) => { appendix.title = v; }, {
          required: true,
          focusKey: appendix === focusAfterRender ? "focus" : null,
          after: (v) => { summary.lastChild.textContent = v || t("(chưa có tên)"); },
        }));
      sectionList(body, appendix.sections, false);
      part.append(h("div", { class: "editor-block editor-depth-0" },
        collapsible(appendix, appendix === focusAfterRender || !appendix.title, summary, body)));
    });
    part.append(addButton(t("Thêm phụ lục"), () => {
      const appendix = normalizeAppendix({});
      state.appendices.push(appendix);
      focusAfterRender = appendix;
      markDirty();
      render();
    }));
    return part;
  }

  function renderClosing() {
    const rows = h("div", { class: "deadline-rows" });
    state.reporting_deadlines.forEach((deadline, i) => {
      rows.append(h("div", { class: "deadline-row" },
        textInput(t("Nội dung thời hạn báo cáo"), () => deadline.text, (v) => { deadline.text = v; }, { placeholder: t("Báo cáo kết quả thực hiện trước ngày 15/11/2024") }),
        textInput(t("Ngày hạn"), () => deadline.due_date, (v) => { deadline.due_date = v; }, { type: "date" }),
        itemTools(state.reporting_deadlines, i, t("thời hạn này"))));
    });
    return h("section", { class: "card editor-part", "aria-labelledby": "ed-closing" },
      h("h2", { id: "ed-closing", text: t("Thời hạn báo cáo và phần kết") }),
      rows,
      addButton(t("Thêm thời hạn báo cáo"), () => {
        state.reporting_deadlines.push({ text: "", due_date: "" });
        markDirty();
        render();
      }),
      textArea(t("Phần kết"), () => state.closing, (v) => { state.closing = v; }, { rows: 3, placeholder: t("Trên đây là Kế hoạch … Trong quá trình thực hiện, nếu có khó khăn, vướng mắc …") }));
  }

  function renderRecipients() {
    return h("section", { class: "card editor-part", "aria-labelledby": "ed-recipients" },
      h("h2", { id: "ed-recipients", text: t("Nơi nhận") }),
      importNotes("recipients"),
      unitPicker(t("Đơn vị nhận trong danh mục (được gửi văn bản khi phát hành)"), state.recipients.units, {
        open: true, freeLabel: t("Đơn vị nhận khác (mỗi dòng một đơn vị)"),
      }),
      linesArea(t("Các dòng khác của Nơi nhận (mỗi dòng một mục)"), state.recipients.lines, { placeholder: t("Bộ Thông tin và Truyền thông (b/c);") }),
      textInput(t("Dòng lưu"), () => state.recipients.archive, (v) => { state.recipients.archive = v; }, { placeholder: "Lưu: VT, KGVX." }));
  }

  function signatureLines(signature, signer) {
    // Mirrors SignatureBlock.lines() with the block the server derives from the chosen signer.
    const position = signer ? (signer.position || "Chủ tịch").trim() : signature.position;
    const deputyFor = signer ? (position.toLowerCase().startsWith("phó") ? "CHỦ TỊCH" : "") : signature.deputy_for;
    const authority = signature.authority || "TM.";
    const out = [];
    if (issuedByIndividual() && authority === "TM.") {
      if (deputyFor) out.push("KT. " + deputyFor.toUpperCase());
    } else if (authority === "TM." && signature.collective) {
      out.push("TM. " + signature.collective.toUpperCase());
      if (deputyFor) out.push("KT. " + deputyFor.toUpperCase());
    } else if (authority !== "TM." && deputyFor) {
      out.push(authority + " " + deputyFor.toUpperCase());
    }
    if (position) out.push(position.toUpperCase());
    return out;
  }

  function renderSignature() {
    const sig = state.signature;
    const preview = h("div", { class: "signature-preview", "aria-live": "polite" });
    const signerOf = () => data.signers.find((s) => s.id === sig.signer_id) || null;
    function refresh() {
      const signer = signerOf();
      preview.replaceChildren(
        ...signatureLines(sig, signer).map((line) => h("p", { class: "signature-preview__line", text: line })),
        h("p", { class: "signature-preview__space", text: t("(chữ ký số)") }),
        h("p", { class: "signature-preview__name", text: signer ? signer.name : sig.signer_name || t("(chưa chọn người ký)") }));
    }
    const signerOptions = [{ value: "", label: t("— Chưa chọn người ký —") }].concat(
      data.signers.map((s) => ({ value: String(s.id), label: s.position ? `${s.name} — ${s.position}` : s.name })));
    const authorityOptions = data.authority_forms.map((a) => ({ value: a, label: a }));
    const part = h("section", { class: "card editor-part", "aria-labelledby": "ed-signature" },
      h("h2", { id: "ed-signature", text: t("Khối chữ ký") }),
      importNotes("signature"),
      h("div", { class: "grid-2" },
        h("div", {},
          select(t("Người ký"), signerOptions, () => (sig.signer_id == null ? "" : String(sig.signer_id)), (v) => {
            sig.signer_id = v ? Number(v) : null;
          }, { after: refresh, help: t("Chủ tịch hoặc Phó Chủ tịch phụ trách lĩnh vực. Chức vụ và thẩm quyền (KT. CHỦ TỊCH) được xác định theo người ký khi lưu.") }),
          select(t("Thẩm quyền ký"), authorityOptions, () => sig.authority || "TM.", (v) => { sig.authority = v; }, { after: refresh }),
          textInput(t("Tập thể (sau TM.)"), () => sig.collective, (v) => { sig.collective = v; }, { after: refresh })),
        h("div", {}, h("p", { class: "help", text: t("Xem trước") }), preview)));
    refresh();
    return part;
  }

  function sizeOpenTextareas() {
    // Only visible ones have a height to measure; a <details> sizes its own when opened.
    root.querySelectorAll("textarea[data-autosize]").forEach((area) => {
      if (area.offsetParent !== null) autosize(area);
    });
  }

  root.addEventListener("toggle", (event) => {
    if (event.target.open) event.target.querySelectorAll("textarea[data-autosize]").forEach((area) => {
      if (area.offsetParent !== null) autosize(area);
    });
  }, true);

  function render() {
    const scroll = window.scrollY;
    const focusTarget = focusAfterRender;
    root.replaceChildren(renderGeneral(), renderSections(), renderClosing(), renderRecipients(), renderSignature(), renderAppendices());
    root.setAttribute("aria-busy", "false");
    sizeOpenTextareas();
    focusAfterRender = null;
    const input = focusTarget ? root.querySelector("[data-focus-key=focus]") : null;
    if (input) {
      input.focus();
      input.scrollIntoView({ block: "center" });
    } else {
      window.scrollTo(0, scroll);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Save

  const FIELD_NAMES = {
    title: t("tên, tiêu đề"), year: t("năm"), doc_type: t("loại văn bản"), place: t("địa danh"),
    legal_bases: t("căn cứ"), preamble: t("phần mở đầu"), closing: t("phần kết"),
    paragraphs: t("đoạn văn"), description: t("nội dung"), lead_units: t("đơn vị chủ trì"),
    coordinating_units: t("đơn vị phối hợp"), timeline: t("thời gian thực hiện"),
    budget_vnd: t("kinh phí"), name: t("tên đơn vị"), unit_id: t("mã đơn vị"), text: t("nội dung"),
    due_date: t("ngày hạn"), recipients: t("nơi nhận"), units: t("đơn vị"), lines: t("các dòng"),
    archive: t("dòng lưu"), signature: t("khối chữ ký"), kind: t("loại mục"),
    addressees: t("kính gửi"), urgency: t("độ khẩn"), secrecy: t("độ mật"),
    proposer: t("theo đề nghị của"), issuing_authority: t("thẩm quyền ban hành"),
    issued_by: t("hình thức ban hành"), drafting_unit_abbreviation: t("viết tắt đơn vị soạn thảo"),
  };

  /** "sections[1].children[2].tasks[0].title" → "Mục II › 3 › nhiệm vụ thứ 1 › tên, tiêu đề". */
  function humanizePath(path) {
    if (path === "title") return t("trích yếu");
    const parts = [];
    let depth = 0;
    for (const piece of path.split(".")) {
      const match = /^([a-z_]+)(?:\[(\d+)\])?$/.exec(piece);
      if (!match) return null;
      const [, key, index] = match;
      const i = index == null ? null : Number(index);
      if (key === "appendices" && i != null) { parts.push(t("Phụ lục") + " " + roman(i + 1)); }
      else if (key === "sections" && i != null) {
        const article = isDecision() && parts.length === 0;
        parts.push(article ? blockLabel(0, i, true).replace(/\.$/, "") : t("Mục") + " " + blockLabel(0, i).replace(/\.$/, ""));
        depth = 1;
      }
      else if (key === "children" && i != null) { parts.push(blockLabel(depth, i).replace(/\.$/, "")); depth += 1; }
      else if (key === "tasks" && i != null) parts.push(t("nhiệm vụ thứ") + " " + (i + 1));
      else if (key === "reporting_deadlines" && i != null) parts.push(t("thời hạn báo cáo thứ") + " " + (i + 1));
      else if (FIELD_NAMES[key]) parts.push(FIELD_NAMES[key] + (i != null ? " " + (i + 1) : ""));
      else return null;
    }
    return parts.join(" › ");
  }

  function humanize(message) {
    return message.replace(/“([a-z_\[\]0-9.]+)”/g, (whole, path) => {
      const readable = humanizePath(path);
      return readable ? "“" + readable + "”" : whole;
    });
  }

  function showError(message) {
    errorBox.textContent = humanize(message);
    errorBox.hidden = false;
    errorBox.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  async function save() {
    if (saving) return;
    saving = true;
    saveButton.disabled = true;
    errorBox.hidden = true;
    statusBox.textContent = t("Đang lưu…");
    try {
      const response = await fetch(form.dataset.saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken },
        body: JSON.stringify(cleaned(state)),
      });
      let body = null;
      try {
        body = await response.json();
      } catch (_ignored) {
        body = null;
      }
      if (response.ok && body && body.ok) {
        const saved = normalize(body.content);
        moveNotes(state, saved);
        state = saved;
        dirty = false;
        dirtyBox.textContent = "";
        render();
        statusBox.textContent = body.message + (body.saved_at ? " (" + body.saved_at + ")" : "");
      } else if (body && body.error) {
        statusBox.textContent = "";
        showError(body.error);
      } else if (response.redirected || response.status === 403) {
        statusBox.textContent = "";
        showError(t("Phiên đăng nhập đã hết hạn hoặc bạn không còn quyền sửa. Vui lòng tải lại trang; nội dung chưa được lưu."));
      } else {
        statusBox.textContent = "";
        showError(t("Không lưu được (lỗi máy chủ). Nội dung chưa được lưu; vui lòng thử lại."));
      }
    } catch (_error) {
      statusBox.textContent = "";
      showError(t("Không kết nối được máy chủ. Nội dung chưa được lưu; vui lòng thử lại."));
    } finally {
      saving = false;
      saveButton.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save();
  });
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      save();
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  render();
})();


// Copy an unplaced paragraph of a Word import, to paste it where it belongs.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-text]");
  if (!button || !navigator.clipboard) return;
  navigator.clipboard.writeText(button.dataset.copyText).then(() => {
    button.textContent = (window.gettext || ((s) => s))("Đã sao chép");
  });
});
