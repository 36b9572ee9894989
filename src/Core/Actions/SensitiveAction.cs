using System.Text.Json.Nodes;

namespace Approvals.Core.Actions;

/// <summary>The action contract: what one sensitive operation implements to be put behind an approval. Everything else —
/// its start route (<c>POST /api/actions/{name}</c>), status, history, cancel, the credential route when it produces a
/// secret, the petition, wait, verify, four eyes, idempotency keys, telemetry, its CLI verb and its row in the inbox —
/// comes from the generic parts once the action is listed in <see cref="ActionCatalog"/>. An action acts on one user of
/// the directory (the target, checked to exist and be enabled before anyone is asked), as the requester's four eyes
/// demand: neither the requester nor the target may approve it.</summary>
public interface ISensitiveAction
{
    /// <summary>Checks the fields the action adds to the request body (<see cref="ActionDescription.Fields"/>), writing a
    /// field-named message into <paramref name="errors"/> for each bad one; the common fields (<c>userId</c>,
    /// <c>reason</c>, <c>deadlineSeconds</c>) are checked already.</summary>
    void Validate(ActionParameters parameters, IDictionary<string, string[]> errors);

    /// <summary>The target check before anyone is asked, beyond "exists and is enabled": a refusal (404 or 409, nothing
    /// started) or null. Throw <see cref="HttpRequestException"/> when the target system cannot be asked (503).</summary>
    Task<ActionRefusal?> CheckTargetAsync(DirectoryUser target, ActionParameters parameters, CancellationToken cancellationToken);

    /// <summary>The act, run only after a verified, four-eyes grant. Idempotent under redelivery: it decides from the
    /// target system's own state (and the credential store) whether it already happened, and then returns that outcome.
    /// A secret it produces is stored in the credential store under <see cref="ActionRun.CredentialName"/>; only the
    /// reference travels. Throw <see cref="Workflow.PermanentActivityFailureException"/> for a refusal retrying cannot fix.</summary>
    Task<ActionOutcome> ActAsync(ActionRun run, CancellationToken cancellationToken);
}

/// <summary>The description every action carries as a static member (read without an instance: by the CLI, the routes).</summary>
public interface IDescribedAction
{
    /// <summary>The action's name, route segment, CLI verb and Indent resource description.</summary>
    static abstract ActionDescription Descriptor { get; }
}

/// <summary>What describes an action to the generic parts: <paramref name="Name"/> (route segment and durable action
/// label, e.g. <c>temporary-access-pass</c>), <paramref name="Verb"/> (the CLI command), <paramref name="Title"/> (the
/// Indent resource's display name, with the user appended), <paramref name="Fields"/> its own body fields, and
/// <paramref name="Secret"/> what its one-time secret is called (null when it produces none). <paramref name="TargetIsRequester"/>:
/// the requester asks for themselves (no <c>userId</c>; the action's own start route and commands, e.g. time-boxed access);
/// <paramref name="DurationField"/>: the field holding the asked duration in seconds, for a time-boxed action
/// (<see cref="ITimeBoxedAction"/>).</summary>
public sealed record ActionDescription(string Name, string Verb, string Title, string Summary, IReadOnlyList<ActionField> Fields, string? Secret, Type Implementation, bool TargetIsRequester = false, string? DurationField = null)
{
    /// <summary>What the credential store's name for its secret says after <c>tmp-</c> (default: <see cref="Name"/>).</summary>
    public string? CredentialLabel { get; init; }

    /// <summary>What a missing reason's 400 asks for (default: "say why the {Title} is needed").</summary>
    public string? ReasonHint { get; init; }

    /// <summary>What a disabled target's 409 says must wait for the account to be enabled (default: "asking for a {Title}").</summary>
    public string? Doing { get; init; }
}

/// <summary>A body field of an action (a whole number when <paramref name="IsNumber"/>, else one line of text); the CLI option
/// is <c>--{Option}</c>.</summary>
public sealed record ActionField(string Name, string Option, string Description, bool IsNumber = true, bool Required = false);

/// <summary>An action's own fields as given in the request (absent fields are not in <see cref="Values"/>).</summary>
public sealed record ActionParameters(IReadOnlyDictionary<string, string> Values)
{
    public static readonly ActionParameters None = new(new Dictionary<string, string>());

    public int? Number(string name) => Values.TryGetValue(name, out var text) && int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>Reads the declared fields from a JSON body; unknown or mistyped fields are field-named errors.</summary>
    public static ActionParameters Read(JsonObject body, ActionDescription action, IEnumerable<string> common, IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(errors);
        var known = new HashSet<string>(common, StringComparer.Ordinal);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in body)
        {
            var field = action.Fields.FirstOrDefault(f => f.Name == name);
            if (field is null)
            {
                if (!known.Contains(name))
                {
                    errors[name] = [$"{name} is not a field of {action.Name}; it takes {string.Join(", ", known.Concat(action.Fields.Select(f => f.Name)))}."];
                }

                continue;
            }

            if (node is null)
            {
                continue;
            }

            if (field.IsNumber ? node.GetValueKind() != System.Text.Json.JsonValueKind.Number || !int.TryParse(node.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture, out _)
                : node.GetValueKind() != System.Text.Json.JsonValueKind.String)
            {
                errors[name] = [$"{name} must be {(field.IsNumber ? "a whole number" : "text")}."];
                continue;
            }

            values[name] = field.IsNumber ? node.ToJsonString() : node.GetValue<string>();
        }

        foreach (var missing in action.Fields.Where(f => f.Required && !values.ContainsKey(f.Name) && !errors.ContainsKey(f.Name)))
        {
            errors[missing.Name] = [$"{missing.Name} is required: {missing.Description}"];
        }

        return new ActionParameters(values);
    }
}

/// <summary>A refusal of the target check: the HTTP status (404 or 409; an action whose target is the requester may also
/// answer 403 or 503), a title and what to do about it.</summary>
public sealed record ActionRefusal(int Status, string Title, string Detail);

/// <summary>One run of an action, as the generic activity gives it: the approval, the target user, the action's fields,
/// when it was asked for, and the credential name reserved for its secret.</summary>
public sealed record ActionRun(string InstanceId, string UserId, ActionParameters Parameters, DateTimeOffset RequestedAt, string CredentialName);

/// <summary>What an action did: one line for the status (<paramref name="Summary"/>), and for a secret only where it is
/// stored and until when — never the secret. <paramref name="NotLive"/>: a time-boxed act found its grant no longer live
/// (ended, or past its time) and did nothing.</summary>
public sealed record ActionOutcome(string Summary, string? CredentialName = null, string? CredentialReference = null, DateTimeOffset? ExpiresOn = null, bool ForceChangeAtNextSignIn = false, bool NotLive = false);
