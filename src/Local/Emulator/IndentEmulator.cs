using System.Globalization;
using System.Text;
using System.Text.Json;
using Approvals.Core.Indent;
using Microsoft.Extensions.Logging;

namespace Approvals.Local.Emulator;

/// <summary>An error the emulator answers with, in Indent's shape: HTTP status plus google.rpc code.</summary>
public sealed class EmulatorException(int httpStatus, int code, string message) : Exception(message)
{
    public int HttpStatus { get; } = httpStatus;
    public int Code { get; } = code;

    public static EmulatorException Invalid(string message) => new(400, 3, message);
    public static EmulatorException NotFound(string message) => new(404, 5, message);
    public static EmulatorException Precondition(string message) => new(400, 9, message);
}

/// <summary>The local Indent's state: petitions with their phases and event history, claims, resources. Every
/// transition is recorded in <c>state.eventHistory</c> and announced as signed webhooks.</summary>
public sealed class IndentEmulator : IDisposable
{
    public const string AutoApprover = "auto-approver@emulator.local";
    const string ExpiresLabel = "expires";

    readonly EmulatorOptions options;
    readonly TimeProvider time;
    readonly ILogger<IndentEmulator> logger;
    readonly EmulatorStore store;
    readonly Lock gate = new();
    readonly Dictionary<string, Petition> petitions = new(StringComparer.Ordinal);
    readonly List<string> order = [];
    readonly Dictionary<string, ClaimRecord> claims = new(StringComparer.Ordinal);
    readonly Dictionary<string, Resource> resources = new(StringComparer.Ordinal);
    readonly List<DecisionRule> rules;
    readonly CancellationTokenSource stopping = new();
    long sequence;

    public IndentEmulator(EmulatorOptions options, TimeProvider time, ILogger<IndentEmulator> logger)
    {
        this.options = options;
        this.time = time;
        this.logger = logger;
        store = new EmulatorStore(options.DataDirectory);
        rules = [.. options.Rules];
        Seed();
        Load();
    }

    /// <summary>Called with the events of each transition, to be delivered as webhooks.</summary>
    public event Action<IReadOnlyList<IndentEvent>>? EventsRaised;

    public string Space => options.Space;
    public EmulatorStore Store => store;
    public EmulatorOptions Options => options;

    // ---------- Petitions ----------

    public Petition Create(Petition? input, string actor)
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

        Petition petition;
        IndentEvent requested;
        lock (gate)
        {
            var now = time.GetUtcNow();
            var name = Guid.NewGuid().ToString("D");
            var petitioners = input.Petitioners is { Count: > 0 } p ? p : [ActorResource(actor)];
            requested = NewEvent(IndentEventTypes.Request, name, petitioners[0], input.Reason, input.Resources, now);
            petition = input with
            {
                Name = name,
                SpaceName = options.Space,
                Petitioners = petitioners,
                Meta = new ObjectMeta { Labels = new Dictionary<string, string>(input.Meta?.Labels ?? new Dictionary<string, string>()), CreateTime = now, UpdateTime = now },
                State = new PetitionState { Status = new PetitionStatus { Phase = IndentPhases.Open }, EventHistory = [requested] },
            };
            petitions[name] = petition;
            order.Add(name);
            Save(petition);
        }

        Raise([requested]);
        ScheduleRule(petition);
        return petition;
    }

    public Petition Get(string name)
    {
        lock (gate)
        {
            return petitions.TryGetValue(name, out var petition) ? petition : throw EmulatorException.NotFound($"petition {name} not found");
        }
    }

    public (IReadOnlyList<Petition> Page, string NextPageToken) List(string? labelSelector, int? pageSize, string? pageToken)
    {
        var selector = ParseSelector(labelSelector);
        var size = pageSize is null or 0 ? 50 : pageSize.Value;
        if (size is < 1 or > 1000)
        {
            throw EmulatorException.Invalid("pageSize must be from 1 to 1000");
        }

        var offset = 0;
        if (!string.IsNullOrEmpty(pageToken))
        {
            try
            {
                offset = int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(pageToken)), NumberStyles.None, CultureInfo.InvariantCulture);
            }
            catch (FormatException)
            {
                throw EmulatorException.Invalid("pageToken is not one this server issued");
            }
        }

        lock (gate)
        {
            var matching = order.Select(n => petitions[n]).Where(p => selector.All(s => p.Meta?.Labels is { } l && l.TryGetValue(s.Key, out var v) && v == s.Value)).ToList();
            var page = matching.Skip(offset).Take(size).ToList();
            var next = offset + page.Count < matching.Count ? Convert.ToBase64String(Encoding.UTF8.GetBytes((offset + page.Count).ToString(CultureInfo.InvariantCulture))) : "";
            return (page, next);
        }
    }

    public IReadOnlyList<Petition> All()
    {
        lock (gate)
        {
            return order.Select(n => petitions[n]).ToList();
        }
    }

    static List<KeyValuePair<string, string>> ParseSelector(string? selector)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrWhiteSpace(selector))
        {
            return result;
        }

        foreach (var part in selector.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw EmulatorException.Invalid($"labelSelector '{part}' is not key=value");
            }

            result.Add(new(part[..eq].Trim(), part[(eq + 1)..].Trim()));
        }

        return result;
    }

    // ---------- Claims ----------

    public IndentEvent Claim(string name, IndentEvent? claim, string actor)
    {
        if (claim is null || string.IsNullOrEmpty(claim.EventType))
        {
            throw EmulatorException.Invalid("body must be {\"claim\": {\"event\": \"access/approve|access/deny|access/revoke\"}}");
        }

        if (claim.Id is { Length: > 128 } || claim.Reason is { Length: > 2000 })
        {
            throw EmulatorException.Invalid("claim.id is at most 128 and claim.reason at most 2000 characters");
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

        var raised = new List<IndentEvent>();
        IndentEvent recorded;
        Petition updated;
        lock (gate)
        {
            var petition = Get(name);
            var claimKey = claim.Id is null ? null : name + "/" + claim.Id;
            if (claimKey is not null && claims.TryGetValue(claimKey, out var seen))
            {
                // The same claim again (a client retry): answer as before, change nothing.
                return seen.Event;
            }

            var now = time.GetUtcNow();
            var who = ActorResource(actor);
            var phase = petition.Phase;
            var history = new List<IndentEvent>(petition.State?.EventHistory ?? []);
            string newPhase;
            switch (claim.EventType)
            {
                case IndentEventTypes.Approve:
                    if (phase != IndentPhases.Open)
                    {
                        throw EmulatorException.Precondition($"petition is {phase}; only an open petition can be approved");
                    }

                    recorded = NewEvent(IndentEventTypes.Approve, name, who, claim.Reason, petition.Resources, now, claim.Id, duration is null ? null : new() { [IndentLabels.Duration] = GoDuration.Format(duration.Value) });
                    var grantLabels = duration is null ? null : new Dictionary<string, string> { [ExpiresLabel] = (now + duration.Value).ToString("O", CultureInfo.InvariantCulture) };
                    var grant = NewEvent(IndentEventTypes.Grant, name, who, claim.Reason, petition.Resources, now, null, grantLabels);
                    history.Add(recorded);
                    history.Add(grant);
                    raised.Add(recorded);
                    raised.Add(grant);
                    newPhase = IndentPhases.Granted;
                    break;
                case IndentEventTypes.Deny or IndentEventTypes.Revoke:
                    // Deny closes an open petition; revoke ends a granted one.
                    var (from, to, verb) = claim.EventType == IndentEventTypes.Deny
                        ? (IndentPhases.Open, IndentPhases.Closed, "an open petition can be denied or closed")
                        : (IndentPhases.Granted, IndentPhases.Revoked, "a granted petition can be revoked");
                    if (phase != from)
                    {
                        throw EmulatorException.Precondition($"petition is {phase}; only {verb}");
                    }

                    recorded = NewEvent(claim.EventType, name, who, claim.Reason, petition.Resources, now, claim.Id);
                    history.Add(recorded);
                    raised.Add(recorded);
                    newPhase = to;
                    break;
                default:
                    throw EmulatorException.Invalid($"claim.event must be access/approve, access/deny or access/revoke, not {claim.EventType}");
            }

            var metaLabels = new Dictionary<string, string>(petition.Meta?.Labels ?? new Dictionary<string, string>());
            if (newPhase == IndentPhases.Granted && duration is not null)
            {
                metaLabels[ExpiresLabel] = (now + duration.Value).ToString("O", CultureInfo.InvariantCulture);
            }

            updated = petition with
            {
                Meta = (petition.Meta ?? new ObjectMeta()) with { Labels = metaLabels, UpdateTime = now },
                State = new PetitionState { Status = new PetitionStatus { Phase = newPhase }, EventHistory = history },
            };
            petitions[name] = updated;
            Save(updated);
            if (claimKey is not null)
            {
                claims[claimKey] = new ClaimRecord(claimKey, name, recorded);
                store.Put("claim", claimKey, Interlocked.Increment(ref sequence), JsonSerializer.Serialize(claims[claimKey], EmulatorJsonContext.Default.ClaimRecord));
            }
        }

        logger.LogInformation("Petition {Petition}: {Event} by {Actor}", name, claim.EventType, actor);
        Raise(raised);
        ScheduleExpiry(updated);
        return recorded;
    }

    // ---------- Resources ----------

    public (IReadOnlyList<Resource> Page, string NextPageToken) ListResources(string? view, string? labelSelector, int? pageSize, string? pageToken)
    {
        if (view is not (null or "" or "requestable" or "basic" or "full"))
        {
            throw EmulatorException.Invalid("view must be requestable, basic or full");
        }

        var selector = ParseSelector(labelSelector);
        var size = pageSize is null or 0 ? 50 : pageSize.Value;
        if (size is < 1 or > 1000)
        {
            throw EmulatorException.Invalid("pageSize must be from 1 to 1000");
        }

        var offset = 0;
        if (!string.IsNullOrEmpty(pageToken) && !int.TryParse(pageToken, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
        {
            throw EmulatorException.Invalid("pageToken is not one this server issued");
        }

        lock (gate)
        {
            var matching = resources.Values
                .Where(r => view != "requestable" || (r.Labels?.TryGetValue("requestable", out var q) == true && q == "true"))
                .Where(r => selector.All(s => r.Labels is { } l && l.TryGetValue(s.Key, out var v) && v == s.Value))
                .OrderBy(r => r.Kind, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();
            var page = matching.Skip(offset).Take(size).ToList();
            return (page, offset + page.Count < matching.Count ? (offset + page.Count).ToString(CultureInfo.InvariantCulture) : "");
        }
    }

    public Resource GetResource(string id)
    {
        lock (gate)
        {
            return resources.TryGetValue(id, out var r) ? r : throw EmulatorException.NotFound($"resource {id} not found");
        }
    }

    public IReadOnlyList<Resource> BulkUpdate(IReadOnlyList<Resource>? updates)
    {
        if (updates is null || updates.Count is 0 or > 1000 || updates.Any(r => r is null || string.IsNullOrWhiteSpace(r.Kind) || string.IsNullOrWhiteSpace(r.Id)))
        {
            throw EmulatorException.Invalid("resources must list 1 to 1000 resources, each with kind and id");
        }

        lock (gate)
        {
            foreach (var r in updates)
            {
                resources[r.Id!] = r;
                store.Put("resource", r.Id!, Interlocked.Increment(ref sequence), JsonSerializer.Serialize(r, EmulatorJsonContext.Default.Resource));
            }
        }

        return updates;
    }

    // ---------- Rules ----------

    public IReadOnlyList<DecisionRule> Rules
    {
        get
        {
            lock (gate)
            {
                return [.. rules];
            }
        }
    }

    public void SetRules(IReadOnlyList<DecisionRule> newRules)
    {
        foreach (var rule in newRules)
        {
            if (rule.Validate() is { } error)
            {
                throw EmulatorException.Invalid(error);
            }
        }

        lock (gate)
        {
            rules.Clear();
            rules.AddRange(newRules);
        }
    }

    void ScheduleRule(Petition petition)
    {
        var rule = Rules.FirstOrDefault(r => petition.Resources!.Any(res => r.Matches($"{res.Kind}:{res.Id}")));
        if (rule is null || rule.Decision == DecisionRule.Manual)
        {
            return;
        }

        var due = (petition.Meta?.CreateTime ?? time.GetUtcNow()) + TimeSpan.FromSeconds(rule.AfterSeconds) - time.GetUtcNow();
        Later(due, () =>
        {
            if (Get(petition.Name!).Phase != IndentPhases.Open)
            {
                return;
            }

            var claim = rule.Decision == DecisionRule.Approve
                ? new IndentEvent { EventType = IndentEventTypes.Approve, Id = "auto-" + petition.Name, Reason = "approved by rule " + rule.Pattern, Meta = rule.Duration is null ? null : new ObjectMeta { Labels = new Dictionary<string, string> { [IndentLabels.Duration] = rule.Duration } } }
                : new IndentEvent { EventType = IndentEventTypes.Deny, Id = "auto-" + petition.Name, Reason = "denied by rule " + rule.Pattern };
            Claim(petition.Name!, claim, AutoApprover);
        });
    }

    void ScheduleExpiry(Petition petition)
    {
        if (petition.Phase != IndentPhases.Granted || petition.Meta?.Labels?.TryGetValue(ExpiresLabel, out var text) != true
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var expires))
        {
            return;
        }

        Later(expires - time.GetUtcNow(), () =>
        {
            if (Get(petition.Name!).Phase == IndentPhases.Granted)
            {
                Claim(petition.Name!, new IndentEvent { EventType = IndentEventTypes.Revoke, Id = "expiry-" + petition.Name, Reason = "access grant expired" }, AutoApprover);
            }
        });
    }

    void Later(TimeSpan due, Action action)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, time, stopping.Token);
                }

                action();
            }
            catch (OperationCanceledException)
            {
            }
            catch (EmulatorException e)
            {
                logger.LogDebug("Scheduled transition skipped: {Reason}", e.Message);
            }
        });
    }

    // ---------- Plumbing ----------

    static IndentEvent NewEvent(string type, string petition, Resource actor, string? reason, IReadOnlyList<Resource>? petitionResources, DateTimeOffset at, string? id = null, Dictionary<string, string>? extraLabels = null)
    {
        var labels = new Dictionary<string, string>(extraLabels ?? []) { [IndentLabels.Petition] = petition };
        return new IndentEvent
        {
            EventType = type,
            Id = type == IndentEventTypes.Grant || id is null ? Guid.NewGuid().ToString("N") : id,
            Actor = actor,
            Reason = reason,
            Timestamp = at,
            Resources = petitionResources,
            Meta = new ObjectMeta { Labels = labels },
        };
    }

    static Resource ActorResource(string actor) => new() { Kind = "user", Id = actor, Email = actor.Contains('@', StringComparison.Ordinal) ? actor : null };

    void Raise(IReadOnlyList<IndentEvent> events) => EventsRaised?.Invoke(events);

    void Save(Petition petition) =>
        store.Put("petition", petition.Name!, Interlocked.Increment(ref sequence), JsonSerializer.Serialize(petition, EmulatorJsonContext.Default.Petition));

    void Seed()
    {
        Resource[] catalog =
        [
            new() { Kind = "action", Id = "reset-password", DisplayName = "Reset Password", Labels = new Dictionary<string, string> { ["requestable"] = "true" } },
            new() { Kind = "aws.iam.role", Id = "prod-readonly", DisplayName = "Production (read only)", Labels = new Dictionary<string, string> { ["requestable"] = "true", ["env"] = "prod" } },
            new() { Kind = "aws.iam.role", Id = "prod-admin", DisplayName = "Production (admin)", Labels = new Dictionary<string, string> { ["requestable"] = "true", ["env"] = "prod" } },
            new() { Kind = "group", Id = "oncall", DisplayName = "On-call engineers", Labels = new Dictionary<string, string> { ["requestable"] = "false" } },
        ];
        foreach (var r in catalog)
        {
            resources[r.Id!] = r;
        }
    }

    void Load()
    {
        foreach (var (_, seq, json) in store.All("resource"))
        {
            var r = JsonSerializer.Deserialize(json, EmulatorJsonContext.Default.Resource)!;
            resources[r.Id!] = r;
            sequence = Math.Max(sequence, seq);
        }

        foreach (var (key, seq, json) in store.All("claim"))
        {
            claims[key] = JsonSerializer.Deserialize(json, EmulatorJsonContext.Default.ClaimRecord)!;
            sequence = Math.Max(sequence, seq);
        }

        var rows = store.All("petition");
        var loaded = rows.Select(r => JsonSerializer.Deserialize(r.Json, EmulatorJsonContext.Default.Petition)!).OrderBy(p => p.Meta?.CreateTime).ToList();
        foreach (var petition in loaded)
        {
            petitions[petition.Name!] = petition;
            order.Add(petition.Name!);
        }

        sequence = Math.Max(sequence, rows.Count == 0 ? 0 : rows.Max(r => r.Seq));
        foreach (var petition in loaded)
        {
            if (petition.Phase == IndentPhases.Open)
            {
                ScheduleRule(petition);
            }

            ScheduleExpiry(petition);
        }

        if (loaded.Count > 0)
        {
            logger.LogInformation("Indent emulator restored {Count} petitions from {Directory}", loaded.Count, options.DataDirectory);
        }
    }

    public void Dispose()
    {
        stopping.Cancel();
        stopping.Dispose();
        store.Dispose();
    }
}
