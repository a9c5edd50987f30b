import { createContext, type MouseEvent, useContext, useEffect, useMemo, useRef, useState } from "react";
import Form, { getDefaultRegistry } from "@rjsf/core";
import type { IChangeEvent } from "@rjsf/core";
import {
  getTemplate,
  getUiOptions,
  replaceStringParameters,
  type TranslatableString,
  type ArrayFieldTemplateProps,
  type BaseInputTemplateProps,
  type FieldProps,
  type RJSFSchema,
  type UiSchema,
  type WidgetProps,
} from "@rjsf/utils";
import type { PickKind } from "./picking";
import { NULLABLE, OPTIONAL, pruneDefaults, sameJson, showAbsent } from "./schema";
import { t } from "./strings";
import { validator } from "./validator";

const BASE = getDefaultRegistry();

/** A secret's input: masked, with a button that shows it (format: password). */
function SecretWidget(props: WidgetProps) {
  const [shown, setShown] = useState(false);
  const Input = getTemplate("BaseInputTemplate", props.registry, props.options);
  const label = props.label || String(props.schema.title ?? props.name ?? "");
  return (
    <div className="secret-input">
      <Input {...props} type={shown ? "text" : "password"} autocomplete="new-password" />
      <button
        type="button"
        className="reveal"
        aria-controls={props.id}
        aria-pressed={shown}
        aria-label={shown ? t.form.hide(label) : t.form.show(label)}
        onClick={() => setShown(!shown)}
      >
        {shown ? t.form.hideShort : t.form.showShort}
      </button>
    </div>
  );
}

/** A text or number input; a NULLABLE number's emptied input is null (none), not its
 * default again. */
function InputTemplate(props: BaseInputTemplateProps) {
  const Base = BASE.templates.BaseInputTemplate;
  if (!props.schema[NULLABLE]) return <Base {...props} />;
  return (
    <Base
      {...props}
      options={{ ...props.options, emptyValue: null }}
      placeholder={props.placeholder || t.form.none}
    />
  );
}

/** A small button of a list: its icon shown, its name (which list, which item) read out. */
interface ListButtonProps {
  icon: string;
  name: string;
  className: string;
  disabled: boolean;
  onClick: (event: MouseEvent) => void;
}

function ListButton(props: ListButtonProps) {
  return (
    <button
      type="button"
      className={`btn ${props.className}`}
      title={props.name}
      aria-label={props.name}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      <i className={`glyphicon glyphicon-${props.icon}`} aria-hidden="true" />
    </button>
  );
}

/** The list item a form part is in ("item 2 of Fields"), for naming a list inside it. */
const ItemContext = createContext<string | null>(null);

/** A list field: rjsf's layout, with each button named after its list and item ("Remove
 * item 2 of Fields"; in a list inside an item, "Remove item 1 of Fields in item 2 of
 * Fields"), not one "Remove" for every list on the panel. */
function ArrayFieldTemplate(props: ArrayFieldTemplateProps) {
  const { registry, uiSchema, idSchema, disabled, readonly } = props;
  const options = getUiOptions(uiSchema);
  const Title = getTemplate("ArrayFieldTitleTemplate", registry, options);
  const Description = getTemplate("ArrayFieldDescriptionTemplate", registry, options);
  const title = String(options.title || props.title || idSchema.$id);
  const outer = useContext(ItemContext);
  const list = outer ? t.form.nested(title, outer) : title;
  const off = Boolean(disabled || readonly);
  return (
    <fieldset className={props.className} id={idSchema.$id}>
      <Title
        idSchema={idSchema}
        title={title}
        required={props.required}
        schema={props.schema}
        uiSchema={uiSchema}
        registry={registry}
      />
      <Description
        idSchema={idSchema}
        description={options.description || props.schema.description}
        schema={props.schema}
        uiSchema={uiSchema}
        registry={registry}
      />
      <div className="array-item-list">
        {props.items.map(({ key, ...item }) => {
          const name = t.form.item(list, item.index + 1);
          const moves = item.hasMoveUp || item.hasMoveDown;
          const at = item.index;
          const buttons: (ListButtonProps | false)[] = [
            moves && {
              icon: "arrow-up",
              className: "array-item-move-up",
              name: t.form.moveUp(name),
              disabled: off || !item.hasMoveUp,
              onClick: item.onReorderClick(at, at - 1),
            },
            moves && {
              icon: "arrow-down",
              className: "array-item-move-down",
              name: t.form.moveDown(name),
              disabled: off || !item.hasMoveDown,
              onClick: item.onReorderClick(at, at + 1),
            },
            item.hasCopy && {
              icon: "copy",
              className: "array-item-copy",
              name: t.form.copy(name),
              disabled: off,
              onClick: item.onCopyIndexClick(at),
            },
            item.hasRemove && {
              icon: "remove",
              className: "array-item-remove",
              name: t.form.remove(name),
              disabled: off,
              onClick: item.onDropIndexClick(at),
            },
          ];
          return (
            <div key={key} className={item.className}>
              <ItemContext.Provider value={name}>
                <div>{item.children}</div>
              </ItemContext.Provider>
              {item.hasToolbar && (
                <div className="array-item-toolbox">
                  {buttons.map((button) => button && <ListButton key={button.icon} {...button} />)}
                </div>
              )}
            </div>
          );
        })}
      </div>
      {props.canAdd && (
        <ListButton
          icon="plus"
          className="btn-add"
          name={t.form.add(list)}
          disabled={off}
          onClick={props.onAddClick}
        />
      )}
    </fieldset>
  );
}

/** An object field; one that may be left out (OPTIONAL) is behind a checkbox: unchecked, the
 * document has none; checked, it has one with its defaults. */
function ObjectField(props: FieldProps) {
  const Base = BASE.fields.ObjectField;
  if (!props.schema[OPTIONAL]) return <Base {...props} />;
  const on = props.formData !== null && props.formData !== undefined;
  const title = String(props.uiSchema?.["ui:title"] ?? props.schema.title ?? props.name);
  const toggle = (
    <label className="optional-toggle">
      <input
        type="checkbox"
        id={`${props.idSchema.$id}__use`}
        checked={on}
        disabled={props.disabled || props.readonly}
        onChange={(event) => props.onChange(event.target.checked ? {} : null)}
      />{" "}
      {t.form.use(title)}
    </label>
  );
  if (on) {
    return (
      <div className="optional on">
        {toggle}
        <Base {...props} />
      </div>
    );
  }
  return (
    <fieldset className="optional off" id={props.idSchema.$id}>
      <legend>{title}</legend>
      {props.schema.description && <p className="field-description">{props.schema.description}</p>}
      {toggle}
    </fieldset>
  );
}

/** What a form's selector fields ask of the page they are on: pick a selector of `kind`. */
export interface PickContext {
  pick?: (kind: PickKind, current: string, apply: (selector: string) => void) => void;
  /** picking on the live page with the Chrome extension, where it is installed */
  pickLive?: (kind: PickKind, apply: (selector: string) => void) => void;
}

/** A select; the one rjsf draws for a choice of types (anyOf, oneOf) has no label of its
 * own (the field's label names the value's input): it is named "Type of <field>". */
function SelectWidget(props: WidgetProps) {
  const Base = BASE.widgets.SelectWidget;
  if (!/__(any|one)of_select$/.test(props.id)) return <Base {...props} />;
  return (
    <label className="type-choice">
      <span className="visually-hidden">{t.form.typeOf(String(props.label || props.name))}</span>
      <Base {...props} />
    </label>
  );
}

/** A selector's input, with a button that picks it on a screenshot of the page. */
function SelectorWidget(props: WidgetProps) {
  const Input = getTemplate("BaseInputTemplate", props.registry, props.options);
  const context = props.formContext as PickContext | undefined;
  const own = props.label || String(props.schema.title ?? props.name ?? "");
  const item = useContext(ItemContext);
  const label = item ? t.form.nested(own, item) : own; // "Selector in item 2 of Fields"
  const kind = (props.options.pick as PickKind | undefined) ?? "element";
  return (
    <div className="selector-input">
      <Input {...props} />
      {context?.pick && (
        <button
          type="button"
          className="pick"
          aria-label={t.picker.openFor(label)}
          disabled={props.disabled || props.readonly}
          onClick={() =>
            context.pick?.(kind, typeof props.value === "string" ? props.value : "", (selector) =>
              props.onChange(selector),
            )
          }
        >
          {t.picker.open}
        </button>
      )}
      {context?.pickLive && (
        <button
          type="button"
          className="pick"
          aria-label={t.picker.liveFor(label)}
          disabled={props.disabled || props.readonly}
          onClick={() => context.pickLive?.(kind, (selector) => props.onChange(selector))}
        >
          {t.picker.live}
        </button>
      )}
    </div>
  );
}

/** The form library's words, from strings.ts. */
const translate = (text: TranslatableString, params?: string[]) =>
  replaceStringParameters(t.form.library[text] ?? text, params);

const FIELDS = { ObjectField };
const TEMPLATES = { BaseInputTemplate: InputTemplate, ArrayFieldTemplate };
const WIDGETS = { PasswordWidget: SecretWidget, SelectWidget, selector: SelectorWidget };

/** A form generated from a JSON Schema (simplified by `simplify`) over a part of the
 * document: what it reports is `data` as the document keeps it (see `pruneDefaults`). */
export function SchemaForm(props: {
  schema: RJSFSchema;
  data: Record<string, unknown>;
  idPrefix: string;
  uiSchema?: UiSchema;
  formContext?: PickContext;
  onChange: (data: Record<string, unknown>) => void;
}) {
  const { schema, data } = props;
  const shown = useMemo(() => showAbsent(data, schema, schema as Record<string, unknown>), [data, schema]);
  const ui = useMemo(() => ({ ...props.uiSchema, "ui:submitButtonOptions": { norender: true } }), [props.uiSchema]);
  // the form reports its defaults filled in while it is built: that is no change of the user's
  const ready = useRef(false);
  useEffect(() => {
    ready.current = true;
    return () => {
      ready.current = false;
    };
  }, []);
  const changed = (event: IChangeEvent) => {
    if (!ready.current) return;
    const root = schema as Record<string, unknown>;
    const next = pruneDefaults(event.formData ?? {}, data, schema, root) as Record<string, unknown>;
    if (!sameJson(next, data)) props.onChange(next);
  };
  return (
    <Form
      schema={schema}
      uiSchema={ui}
      formData={shown}
      validator={validator}
      fields={FIELDS}
      templates={TEMPLATES}
      widgets={WIDGETS}
      formContext={props.formContext}
      translateString={translate}
      noHtml5Validate
      showErrorList={false}
      idPrefix={props.idPrefix}
      onChange={changed}
    />
  );
}
