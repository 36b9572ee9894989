using System.Globalization;
using Approvals.Core.Indent;

namespace Approvals.Local.Emulator;

/// <summary>A claim, checked: what it asks and the grant duration it carries.</summary>
public sealed record ClaimRequest(string EventType, string? Id, string? Reason, TimeSpan? Duration)
{
    /// <summary>Checks a claim's shape; <see cref="EmulatorException"/> (400) for anything Indent would refuse.</summary>
    public static ClaimRequest From(IndentEvent? claim)
    {
        if (claim is null || string.IsNullOrEmpty(claim.EventType))
        {
            throw EmulatorException.Invalid("body must be {\"claim\": {\"event\": \"access/approve|access/deny|access/revoke\"}}");
        }

        if (claim.Id is { Length: > 128 } || claim.Reason is { Length: > 2000 })
        {
            throw EmulatorException.Invalid("claim.id is at most 128 and claim.reason at most 2000 characters");
        }

        if (claim.EventType is not (IndentEventTypes.Approve or IndentEventTypes.Deny or IndentEventTypes.Revoke))
        {
            throw EmulatorException.Invalid($"claim.event must be access/approve, access/deny or access/revoke, not {claim.EventType}");
        }

        TimeSpan? duration = null;
        if (claim.Meta?.Labels is { } labels && labels.TryGetValue(IndentLabels.Duration, out var text))
        {
            if (!GoDuration.TryParse(text, out var parsed))
            {
                throw EmulatorException.Invalid($"{IndentLabels.Duration} must be a duration such as 3h0m0s");
            }

            duration = parsed;
        }

        return new ClaimRequest(claim.EventType, claim.Id, claim.Reason, duration);
    }
}

/// <summary>What a transition did: the petition after it, the event the claim recorded, and every event to announce.</summary>
public sealed record Transition(Petition Petition, IndentEvent Recorded, IReadOnlyList<IndentEvent> Raised);

/// <summary>The petition's phase machine, pure: no state, no I/O, no clock — the caller passes the time and an id
/// source. <c>open</c> → approve → <c>granted</c> (with an <c>access/grant</c>) → revoke → <c>revoked</c>;
/// <c>open</c> → deny → <c>closed</c>. Anything else is refused with a precondition error.</summary>
public static class PetitionMachine
{
    /// <summary>Label holding a timed grant's end (RFC 3339).</summary>
    public const string ExpiresLabel = "expires";

    public static void Validate(Petition? input)
    {
        if (input is null)
        {
            throw EmulatorException.Invalid("body must be {\"petition\": {...}}");
        }

        if (input.Resources is not { Count: > 0 } || input.Resources.Any(r => r is null || string.IsNullOrWhiteSpace(r.Kind) || string.IsNullOrWhiteSpace(r.Id)))
        {
            throw EmulatorException.Invalid("petition.resources must list at least one resource, each with kind and id");
        }

        if (input.Reason is { Length: > 2000 })
        {
            throw EmulatorException.Invalid("petition.reason is longer than 2000 characters");
        }

        if (input.Meta?.Labels is { } labels && (labels.Count > 64 || labels.Any(l => l.Key.Length is 0 or > 256 || l.Value is null || l.Value.Length > 1024)))
        {
            throw EmulatorException.Invalid("petition.meta.labels: at most 64 labels, keys up to 256 and values up to 1024 characters");
        }
    }

    /// <summary>A new open petition named <paramref name="name"/>, with its <c>access/request</c> event.</summary>
    public static Transition Open(Petition input, string name, string space, Resource actor, DateTimeOffset now, Func<string> newId)
    {
        Validate(input);
        ArgumentNullException.ThrowIfNull(newId);
        var petitioners = input.Petitioners is { Count: > 0 } p ? p : [actor];
        var requested = NewEvent(IndentEventTypes.Request, name, petitioners[0], input.Reason, input.Resources, now, newId());
        var petition = input with
        {
            Name = name,
            SpaceName = space,
            Petitioners = petitioners,
            Meta = new ObjectMeta { Labels = new Dictionary<string, string>(input.Meta?.Labels ?? new Dictionary<string, string>()), CreateTime = now, UpdateTime = now },
            State = new PetitionState { Status = new PetitionStatus { Phase = IndentPhases.Open }, EventHistory = [requested] },
        };
        return new Transition(petition, requested, [requested]);
    }

    /// <summary>Applies a claim by <paramref name="actor"/> at <paramref name="now"/>.</summary>
    public static Transition Apply(Petition petition, ClaimRequest claim, Resource? actor, DateTimeOffset now, Func<string> newId)
    {
        ArgumentNullException.ThrowIfNull(petition);
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(newId);
        return claim.EventType switch
        {
            IndentEventTypes.Approve => Approve(petition, claim, actor, now, newId),
            IndentEventTypes.Deny => End(petition, claim, actor, now, newId, IndentPhases.Open, IndentPhases.Closed, "an open petition can be denied or closed"),
            _ => End(petition, claim, actor, now, newId, IndentPhases.Granted, IndentPhases.Revoked, "a granted petition can be revoked"),
        };
    }

    /// <summary>When a timed grant ends, if the petition holds one.</summary>
    public static DateTimeOffset? GrantExpiry(Petition petition) =>
        petition?.Phase == IndentPhases.Granted && petition.Meta?.Labels?.TryGetValue(ExpiresLabel, out var text) == true
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var expires)
            ? expires
            : null;

    static Transition Approve(Petition petition, ClaimRequest claim, Resource? actor, DateTimeOffset now, Func<string> newId)
    {
        Require(petition, IndentPhases.Open, "an open petition can be approved");
        var name = petition.Name!;
        var expires = claim.Duration is { } d ? (now + d).ToString("O", CultureInfo.InvariantCulture) : null;
        var approve = NewEvent(IndentEventTypes.Approve, name, actor, claim.Reason, petition.Resources, now, claim.Id ?? newId(),
            claim.Duration is { } duration ? new() { [IndentLabels.Duration] = GoDuration.Format(duration) } : null);
        var grant = NewEvent(IndentEventTypes.Grant, name, actor, claim.Reason, petition.Resources, now, newId(),
            expires is null ? null : new() { [ExpiresLabel] = expires });
        var labels = new Dictionary<string, string>(petition.Meta?.Labels ?? new Dictionary<string, string>());
        if (expires is not null)
        {
            labels[ExpiresLabel] = expires;
        }

        return new Transition(Moved(petition, IndentPhases.Granted, [approve, grant], labels, now), approve, [approve, grant]);
    }

    static Transition End(Petition petition, ClaimRequest claim, Resource? actor, DateTimeOffset now, Func<string> newId, string from, string to, string rule)
    {
        Require(petition, from, rule);
        var recorded = NewEvent(claim.EventType, petition.Name!, actor, claim.Reason, petition.Resources, now, claim.Id ?? newId());
        return new Transition(Moved(petition, to, [recorded], new Dictionary<string, string>(petition.Meta?.Labels ?? new Dictionary<string, string>()), now), recorded, [recorded]);
    }

    static void Require(Petition petition, string phase, string rule)
    {
        if (petition.Phase != phase)
        {
            throw EmulatorException.Precondition($"petition is {petition.Phase}; only {rule}");
        }
    }

    static Petition Moved(Petition petition, string phase, IReadOnlyList<IndentEvent> events, Dictionary<string, string> labels, DateTimeOffset now) =>
        petition with
        {
            Meta = (petition.Meta ?? new ObjectMeta()) with { Labels = labels, UpdateTime = now },
            State = new PetitionState { Status = new PetitionStatus { Phase = phase }, EventHistory = [.. petition.State?.EventHistory ?? [], .. events] },
        };

    static IndentEvent NewEvent(string type, string petition, Resource? actor, string? reason, IReadOnlyList<Resource>? resources, DateTimeOffset at, string id, Dictionary<string, string>? extraLabels = null) =>
        new()
        {
            EventType = type,
            Id = id,
            Actor = actor,
            Reason = reason,
            Timestamp = at,
            Resources = resources,
            Meta = new ObjectMeta { Labels = new Dictionary<string, string>(extraLabels ?? []) { [IndentLabels.Petition] = petition } },
        };
}
