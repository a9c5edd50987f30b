// The property panel's validator for @rjsf: an interpreting JSON Schema validator
// (@cfworker/json-schema), because ajv compiles schemas with `new Function`, which the app's
// Content-Security-Policy (no 'unsafe-eval') forbids. The API validates again on save.
import { Validator as SchemaValidator, type OutputUnit, type Schema } from "@cfworker/json-schema";
import {
  toErrorList,
  toErrorSchema,
  type RJSFSchema,
  type RJSFValidationError,
  type ValidationData,
  type ValidatorType,
} from "@rjsf/utils";
import { t } from "./strings";

// wrappers whose inner errors say what is wrong
const WRAPPERS = new Set(["properties", "items", "prefixItems", "$ref", "allOf", "additionalItems"]);

function withDefs(schema: RJSFSchema, root?: RJSFSchema): Schema {
  const defs = root?.$defs ?? root?.definitions;
  return (defs && !schema.$defs ? { ...schema, $defs: defs } : schema) as Schema;
}

function validate(schema: RJSFSchema, data: unknown, root?: RJSFSchema): OutputUnit[] {
  const checker = new SchemaValidator(withDefs(schema, root), "2020-12", false);
  return checker.validate(data).errors;
}

export function toRjsfErrors(units: OutputUnit[]): RJSFValidationError[] {
  return units
    .filter((unit) => !WRAPPERS.has(unit.keyword))
    .map((unit) => {
      const path = unit.instanceLocation.replace(/^#\/?/, "").split("/").filter(Boolean);
      const required = unit.keyword === "required" && /"([^"]+)"/.exec(unit.error);
      if (required) path.push(required[1]);
      const property = path.length ? `.${path.join(".")}` : ".";
      const message = required ? t.form.required : unit.error;
      return { name: unit.keyword, property, message, stack: `${property} ${message}`, params: {} };
    });
}

export const validator: ValidatorType = {
  validateFormData(formData, schema): ValidationData<unknown> {
    const errors = toRjsfErrors(validate(schema, formData));
    return { errors, errorSchema: toErrorSchema(errors) };
  },
  toErrorList(errorSchema, fieldPath) {
    return toErrorList(errorSchema, fieldPath);
  },
  isValid(schema, formData, rootSchema) {
    try {
      return validate(schema, formData, rootSchema).length === 0;
    } catch {
      return false;
    }
  },
  rawValidation<Result>(schema: RJSFSchema, formData?: unknown) {
    try {
      return { errors: validate(schema, formData) as Result[] };
    } catch (exc) {
      return { validationError: exc as Error };
    }
  },
};
