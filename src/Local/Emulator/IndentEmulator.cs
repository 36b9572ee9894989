using System.Text.Json;
using Approvals.Core.Indent;
using Microsoft.Extensions.Logging;

namespace Approvals.Local.Emulator;

/// <summary>The local Indent's state: petitions, claims and resources, kept in <see cref="EmulatorStore"/>. Transitions
/// come from the pure <see cref="PetitionMachine"/>; each is recorded in <c>state.eventHistory</c> and announced
/// through <see cref="EventsRaised"/> (the webhook dispatcher) and <see cref="PetitionChanged"/> (the decision
/// scheduler). The constructor does no I/O: stored state is read on first use.</summary>
public sealed class IndentEmulator : IDisposable
{
    /// <summary>The requestable resource the quickstart petitions for: "Production".</summary>
    public const string ProductionResource = "production";

    public const string AutoApprover = "auto-approver@emulator.local";

    readonly EmulatorOptions options;
    readonly TimeProvider time;
    readonly ILogger<IndentEmulator> logger;
    readonly bool ownsStore;
    readonly Lock gate = new();
    readonly Dictionary<string, Petition> petitions = new(StringComparer.Ordinal);
    readonly List<string> order = [];
    readonly Dictionary<string, ClaimRecord> claims = new(StringComparer.Ordinal);
    readonly Dictionary<string, Resource> resources = new(StringComparer.Ordinal);
    // Read on every petition the scheduler sees; replaced whole, never changed in place, so reads take no lock.
    volatile DecisionRule[] rules;
    IReadOnlyList<Petition>? restored;
    long sequence;

    /// <summary>An emulator over its own store (tests without a host).</summary>
    public IndentEmulator(EmulatorOptions options, TimeProvider time, ILogger<IndentEmulator> logger)
        : this(options, new EmulatorStore(options?.DataDirectory), time, logger) => ownsStore = true;

    public IndentEmulator(EmulatorOptions options, EmulatorStore store, TimeProvider time, ILogger<IndentEmulator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        Store = store;
        this.time = time;
        this.logger = logger;
        rules = [.. options.Rules];
    }

    /// <summary>Called with the events of each transition, to be delivered as webhooks.</summary>
    public event Action<IReadOnlyList<IndentEvent>>? EventsRaised;

    /// <summary>Called with a petition after it was created or changed.</summary>
    public event Action<Petition>? PetitionChanged;

    public string Space => options.Space;
    public EmulatorStore Store { get; }
    public EmulatorOptions Options => options;

    // ---------- Petitions ----------

    public Petition Create(Petition? input, string actor)
    {
        PetitionMachine.Validate(input);
        Transition created;
        lock (gate)
        {
            EnsureLoaded();
            created = PetitionMachine.Open(input!, Guid.NewGuid().ToString("D"), options.Space, ActorResource(actor), time.GetUtcNow(), NewId);
            petitions[created.Petition.Name!] = created.Petition;
            order.Add(created.Petition.Name!);
            Save(created.Petition);
        }

        Announce(created);
        return created.Petition;
    }

    public Petition Get(string name)
    {
        lock (gate)
        {
            EnsureLoaded();
            return petitions.TryGetValue(name, out var petition) ? petition : throw EmulatorException.NotFound($"petition {name} not found");
        }
    }

    public (IReadOnlyList<Petition> Page, string NextPageToken) List(string? labelSelector, int? pageSize, string? pageToken)
    {
        var selector = ParseSelector(labelSelector);
        return PageToken.Page(All().Where(p => Matches(p.Meta?.Labels, selector)).ToList(), pageSize, pageToken);
    }

    public IReadOnlyList<Petition> All()
    {
        lock (gate)
        {
            EnsureLoaded();
            return order.Select(n => petitions[n]).ToList();
        }
    }

    // ---------- Claims ----------

    public IndentEvent Claim(string name, IndentEvent? claim, string actor) => Claim(name, claim, ActorResource(actor));

    /// <summary>A claim by an actor as Indent records it (an approver seen through Slack carries an id, an email and
    /// <c>altIds</c>; an auto-approval rule may carry none; null: the event names no actor at all).</summary>
    public IndentEvent Claim(string name, IndentEvent? claim, Resource? actor)
    {
        var request = ClaimRequest.From(claim);
        Transition applied;
        lock (gate)
        {
            var petition = Get(name);
            var claimKey = request.Id is null ? null : name + "/" + request.Id;
            if (claimKey is not null && claims.TryGetValue(claimKey, out var seen))
            {
                // The same claim again (a client retry): answer as before, change nothing.
                return seen.Event;
            }

            applied = PetitionMachine.Apply(petition, request, actor, time.GetUtcNow(), NewId);
            petitions[name] = applied.Petition;
            Save(applied.Petition);
            if (claimKey is not null)
            {
                claims[claimKey] = new ClaimRecord(claimKey, name, applied.Recorded);
                Store.Put("claim", claimKey, Interlocked.Increment(ref sequence), JsonSerializer.Serialize(claims[claimKey], EmulatorJsonContext.Default.ClaimRecord));
            }
        }

        logger.LogInformation("Petition {Petition}: {Event} by {Actor}", name, request.EventType, actor?.Email ?? actor?.Id ?? "nobody");
        Announce(applied);
        return applied.Recorded;
    }

    // ---------- Resources ----------

    public (IReadOnlyList<Resource> Page, string NextPageToken) ListResources(string? view, string? labelSelector, int? pageSize, string? pageToken)
    {
        if (view is not (null or "" or "requestable" or "basic" or "full"))
        {
            throw EmulatorException.Invalid("view must be requestable, basic or full");
        }

        var selector = ParseSelector(labelSelector);
        List<Resource> matching;
        lock (gate)
        {
            EnsureLoaded();
            matching = resources.Values
                .Where(r => view != "requestable" || (r.Labels?.TryGetValue("requestable", out var q) == true && q == "true"))
                .Where(r => Matches(r.Labels, selector))
                .OrderBy(r => r.Kind, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();
        }

        return PageToken.Page(matching, pageSize, pageToken);
    }

    public Resource GetResource(string id)
    {
        lock (gate)
        {
            EnsureLoaded();
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
            EnsureLoaded();
            foreach (var r in updates)
            {
                resources[r.Id!] = r;
                Store.Put("resource", r.Id!, Interlocked.Increment(ref sequence), JsonSerializer.Serialize(r, EmulatorJsonContext.Default.Resource));
            }
        }

        return updates;
    }

    // ---------- Rules ----------

    public IReadOnlyList<DecisionRule> Rules => rules;

    public void SetRules(IReadOnlyList<DecisionRule> newRules)
    {
        ArgumentNullException.ThrowIfNull(newRules);
        foreach (var rule in newRules)
        {
            if (rule.Validate() is { } error)
            {
                throw EmulatorException.Invalid(error);
            }
        }

        rules = [.. newRules];
    }

    /// <summary>The petitions read back from the store at start (the scheduler resumes their rules and expiries).</summary>
    public IReadOnlyList<Petition> Restore()
    {
        lock (gate)
        {
            EnsureLoaded();
            return restored!;
        }
    }

    // ---------- Plumbing ----------

    static string NewId() => Guid.NewGuid().ToString("N");

    static Resource ActorResource(string actor) => new() { Kind = "user", Id = actor, Email = actor.Contains('@', StringComparison.Ordinal) ? actor : null };

    static bool Matches(IDictionary<string, string>? labels, List<KeyValuePair<string, string>> selector) =>
        selector.All(s => labels is not null && labels.TryGetValue(s.Key, out var v) && v == s.Value);

    static List<KeyValuePair<string, string>> ParseSelector(string? selector)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var part in (selector ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
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

    void Announce(Transition transition)
    {
        EventsRaised?.Invoke(transition.Raised);
        PetitionChanged?.Invoke(transition.Petition);
    }

    void Save(Petition petition) =>
        Store.Put("petition", petition.Name!, Interlocked.Increment(ref sequence), JsonSerializer.Serialize(petition, EmulatorJsonContext.Default.Petition));

    /// <summary>Seeds the catalog and reads the store, once, under the gate.</summary>
    void EnsureLoaded()
    {
        if (restored is not null)
        {
            return;
        }

        Resource[] catalog =
        [
            new() { Kind = "action", Id = "reset-password", DisplayName = "Reset Password", Labels = new Dictionary<string, string> { ["requestable"] = "true" } },
            new() { Kind = "environment", Id = ProductionResource, DisplayName = "Production", Labels = new Dictionary<string, string> { ["requestable"] = "true", ["env"] = "prod" } },
            new() { Kind = "aws.iam.role", Id = "prod-readonly", DisplayName = "Production (read only)", Labels = new Dictionary<string, string> { ["requestable"] = "true", ["env"] = "prod" } },
            new() { Kind = "aws.iam.role", Id = "prod-admin", DisplayName = "Production (admin)", Labels = new Dictionary<string, string> { ["requestable"] = "true", ["env"] = "prod" } },
            new() { Kind = "group", Id = "oncall", DisplayName = "On-call engineers", Labels = new Dictionary<string, string> { ["requestable"] = "false" } },
        ];
        foreach (var r in catalog)
        {
            resources[r.Id!] = r;
        }

        foreach (var (_, seq, json) in Store.All("resource"))
        {
            var r = JsonSerializer.Deserialize(json, EmulatorJsonContext.Default.Resource)!;
            resources[r.Id!] = r;
            sequence = Math.Max(sequence, seq);
        }

        foreach (var (key, seq, json) in Store.All("claim"))
        {
            claims[key] = JsonSerializer.Deserialize(json, EmulatorJsonContext.Default.ClaimRecord)!;
            sequence = Math.Max(sequence, seq);
        }

        var rows = Store.All("petition");
        var loaded = rows.Select(r => JsonSerializer.Deserialize(r.Json, EmulatorJsonContext.Default.Petition)!).OrderBy(p => p.Meta?.CreateTime).ToList();
        foreach (var petition in loaded)
        {
            petitions[petition.Name!] = petition;
            order.Add(petition.Name!);
        }

        sequence = Math.Max(sequence, rows.Count == 0 ? 0 : rows.Max(r => r.Seq));
        restored = loaded;
        if (loaded.Count > 0)
        {
            logger.LogInformation("Indent emulator restored {Count} petitions from {Directory}", loaded.Count, options.DataDirectory);
        }
    }

    public void Dispose()
    {
        if (ownsStore)
        {
            Store.Dispose();
        }
    }
}
