namespace Approvals.Local.Emulator;

/// <summary>Injected failures: the next N API calls fail (status, <c>Retry-After</c>) or are reset, latency is
/// added, webhooks are dropped or duplicated. Thread-safe; counts down as faults are used.</summary>
public sealed class FaultInjector
{
    readonly Lock gate = new();
    FaultSpec current = new();
    int remainingFailures;
    int remainingResets;
    int remainingDrops;
    int remainingDuplicates;

    public void Set(FaultSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Status is { } s && (s < 400 || s > 599))
        {
            throw EmulatorException.Invalid("status must be an HTTP error status from 400 to 599");
        }

        if (spec.Count < 0 || spec.ResetConnections < 0 || spec.DropWebhooks < 0 || spec.DuplicateWebhooks < 0 || spec.LatencyMs is < 0 or > 60_000 || spec.RetryAfterSeconds is < 0 or > 3600)
        {
            throw EmulatorException.Invalid("counts must be >= 0, latencyMs at most 60000, retryAfterSeconds at most 3600");
        }

        lock (gate)
        {
            current = spec;
            remainingFailures = spec.Status is null ? 0 : spec.Count;
            remainingResets = spec.ResetConnections;
            remainingDrops = spec.DropWebhooks;
            remainingDuplicates = spec.DuplicateWebhooks;
        }
    }

    public void Clear() => Set(new FaultSpec());

    public FaultSpec Current
    {
        get
        {
            lock (gate)
            {
                return current with { Count = remainingFailures, ResetConnections = remainingResets, DropWebhooks = remainingDrops, DuplicateWebhooks = remainingDuplicates };
            }
        }
    }

    long fired;

    /// <summary>API calls a fault was applied to (a failure, a reset or added latency) since the host started: how a
    /// test confirms that the outage it asked for actually happened.</summary>
    public long Fired => Interlocked.Read(ref fired);

    /// <summary>What to do with this API call: nothing, fail with a status, or reset the connection.</summary>
    public (int? Status, int? RetryAfter, bool Reset, int LatencyMs) ForCall(string method, string path)
    {
        var result = Decide(method, path);
        if (result.Status is not null || result.Reset || result.LatencyMs > 0)
        {
            Interlocked.Increment(ref fired);
        }

        return result;
    }

    (int? Status, int? RetryAfter, bool Reset, int LatencyMs) Decide(string method, string path)
    {
        lock (gate)
        {
            var applies = (current.PathContains is null || path.Contains(current.PathContains, StringComparison.Ordinal))
                && (current.Method is null || string.Equals(current.Method, method, StringComparison.OrdinalIgnoreCase));
            var latency = current.LatencyMs ?? 0;
            if (!applies)
            {
                return (null, null, false, 0);
            }

            if (remainingResets > 0)
            {
                remainingResets--;
                return (null, null, true, latency);
            }

            if (remainingFailures > 0)
            {
                remainingFailures--;
                return (current.Status, current.RetryAfterSeconds, false, latency);
            }

            return (null, null, false, latency);
        }
    }

    public bool TakeWebhookDrop() => Take(ref remainingDrops);

    public bool TakeWebhookDuplicate() => Take(ref remainingDuplicates);

    bool Take(ref int counter)
    {
        lock (gate)
        {
            if (counter <= 0)
            {
                return false;
            }

            counter--;
            return true;
        }
    }
}
