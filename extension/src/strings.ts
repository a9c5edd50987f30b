// Every English string the extension shows, in one place so it can be translated: the popup,
// the picker's panel and outlines on the page, the toolbar button's tooltip, the labels it
// writes into bots, and the errors that reach the user (in the popup, in the picker, or in the
// web app through the bridge).

const APP = "trawler";

export const t = {
  appName: APP,
  popup: {
    /** The texts of popup.html, filled in by its elements' data-t* attributes at start-up. */
    html: {
      appName: APP,
      server: "Server URL",
      key: "API key",
      keyHint: "Create a key on your server (POST /api/v1/api-keys). The extension asks for access to that server only.",
      connect: "Connect",
      // toggles: the label stays, aria-pressed says whether it is on
      pick: "Pick elements",
      record: "Record",
      draft: "Draft",
      pending: "Ranking selectors on the server…",
      steps: "Draft steps",
      empty: "Nothing yet: pick elements or record steps on the page.",
      clear: "Clear the draft",
      save: "Save",
      name: "New bot's name",
      namePlaceholder: "shop catalog",
      saveNew: "Save as a new bot",
      bot: "Bot",
      append: "Add the draft to this bot",
      test: "Test on the server",
      testRun: "Test run",
      shot: "Screenshot of the test run's last step",
      disconnect: "Disconnect",
    },
    who: (email: string, server: string) => `${email} on ${server}`,
    page: (title: string) => `Page: ${title}`,
    tab: (id: number | undefined) => `tab ${id}`,
    noTab: "No tab to work on.",
    needsAccess: (origin: string) => `The extension needs access to ${origin} to talk to the server.`,
    keyRefused: "The server refused this API key.",
    nameTheBot: "Give the new bot a name.",
    saved: (name: string) => `Saved the bot “${name}”.`,
    savedVersion: (version: number | null, name: string) => `Saved version ${version} of “${name}”.`,
    running: "Running on the server…",
    ran: (status: string, rows: number, error: string | null) => `${status}: ${rows} rows${error ? `; ${error}` : ""}`,
    removeStep: "×",
    removeStepLabel: (n: number) => `Remove step ${n}`,
  },
  /** A draft's steps as the popup lists them. */
  steps: {
    navigate: (url: string) => `Open ${url}`,
    click: (selector: string, label: string, thenWait: boolean) =>
      `Click ${label ? `“${label}” ` : ""}(${selector})${thenWait ? ", then wait for the page" : ""}`,
    fill: (selector: string, text: string, secret: boolean, press: string | null) =>
      `Fill ${selector} with ${secret ? `${text} (a secret variable)` : `“${text}”`}${press ? `, press ${press}` : ""}`,
    select: (selector: string, value: string) => `Choose “${value}” in ${selector}`,
    scrollBottom: "Scroll to the bottom",
    scrollBy: (pixels: number) => `Scroll by ${pixels} px`,
    field: (name: string, selector: string | null) => `${name} (${selector ?? "the item"})`,
    fields: (fields: string[]) => fields.join(", ") || "no fields yet",
    extractList: (itemSelector: string, fields: string) => `Extract a list of ${itemSelector}: ${fields}`,
    extract: (fields: string) => `Extract ${fields}`,
  },
  /** What the extension writes into a bot's nodes. */
  nodes: {
    clickLabel: (label: string) => `Click “${label}”`,
  },
  /** The picker's panel and what is drawn over the page. */
  picker: {
    dialog: `${APP} picker`,
    title: `${APP}: pick`,
    titleForWebApp: `${APP}: pick for the web app`,
    recording: `● Recording (${APP})`,
    items: (count: number) => `${count} items`,
    matches: (count: number) => `${count} matches`,
    hover: (tag: string, selector: string, shadow: boolean) => `${tag}  ${selector}${shadow ? "  (shadow root: its host)" : ""}`,
    hoverFrame: (tag: string) => `${tag}: picking inside frames is not supported`,
    frame: "Picking inside frames is not supported: open the frame's page in a tab of its own.",
    shadowHost: (tag: string) =>
      `That element is inside a shadow root, which selectors cannot reach: its host <${tag}> is picked instead.`,
    serverFailed: (message: string) => `The server could not rank selectors (${message}): one computed in the page is shown.`,
    notAList: "These two are not items of one list: the second one is picked alone.",
    outsideList: (count: number, list: string | null) =>
      `That is outside the list's ${count} items (${list}): pick inside one, or start a new extract.`,
    itemMismatch: "The chosen item selector does not match the picked element's item.",
    notWithin: "No selector inside the item finds this element: try another item selector.",
    nameTheField: "Give the field a name.",
    clickInItems: (count: number) => `Click a field inside one of the ${count} outlined items.`,
    clickItems: "Click an item of the list, then a second one.",
    clickElement: "Click an element to pick it; click a second item of the same list to pick the whole list.",
    fields: (names: string[]) => `Fields: ${names.join(", ")}`,
    newExtract: "New extract",
    stop: "Stop picking",
    asking: "Asking the server for selectors…",
    itemsChoice: "Items",
    within: "Field in each item",
    theItem: "(the item itself)",
    foundIn: (found: number, total: number) => `Found in ${found} of ${total} items.`,
    selector: "Selector",
    samples: (samples: string[]) => `Sample: ${samples.join(" · ")}`,
    name: "Name",
    value: "Value",
    values: { text: "Text", link: "Link (href)", attr: "Attribute" },
    attribute: "Attribute",
    use: "Use this selector",
    add: "Add field",
    cancel: "Cancel",
    makeList: "Click a second item like this one to make it a list.",
  },
  /** The toolbar button's tooltip. */
  toolbar: {
    idle: APP,
    recording: `${APP}: recording`,
    blocked: `${APP}: click to go on picking or recording on this page`,
  },
  errors: {
    notConnected: `Not connected to a ${APP} server: open the extension's popup and connect.`,
    noWorker: "the extension's service worker did not answer",
    noAnswer: "the extension did not answer",
    unreachable: (server: string) => `cannot reach ${server}`,
    notWebAddress: (typed: string) => `not a web address: ${typed}`,
    http: (status: number) => `HTTP ${status}`,
    nothingToSave: "Nothing recorded or picked yet.",
    fieldTaken: (name: string) => `A field named ${name} is there already.`,
    tabClosed: "The tab to pick on was closed.",
    pickStopped: "The pick was stopped.",
    notWebPage: (url: string) => `not a web page: ${url}`,
    noPage: "No page to pick on: give the page's URL.",
    notServerPage: "not the connected server's page",
    fieldsFromTab: "fields come from a tab",
    popupOnly: (kind: string) => `${kind}: only the popup may ask this`,
    unknownMessage: "unknown message",
  },
} as const;

/** A key of the popup page's texts (popup.html's data-t* attributes name one). */
export type PopupText = keyof typeof t.popup.html;
