using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Approvals.Core.Actions;

/// <summary>The one retry pipeline of every Microsoft Graph client: the standard resilience handler with two rules of
/// ours. Graph's 429 (throttled) and 503 (unavailable) mean the request was not processed and carry a
/// <c>Retry-After</c> to wait (https://learn.microsoft.com/en-us/graph/throttling), so they are the only answers after
/// which a write is sent again; any other failure of a write may have landed, and the caller decides from the
/// directory's own state instead. And a wait is taken only if it and one more attempt fit in the call's total time:
/// otherwise Graph's refusal is returned at once (refused, nothing done) rather than a timeout, which would read as
/// "may have landed".</summary>
public static class GraphResilience
{
    /// <summary>Total time of a Graph call made by a workflow activity (a reset, a membership change): long enough to
    /// wait out a throttle of a few minutes, which Graph's Retry-After can ask for.</summary>
    public static readonly TimeSpan ActivityTimeout = TimeSpan.FromMinutes(4);

    /// <summary>Total time of a Graph call made while an HTTP request waits (resolving people, checking a target): the
    /// standard handler's 30 s.</summary>
    public static readonly TimeSpan RequestPathTimeout = TimeSpan.FromSeconds(30);

    static readonly ResiliencePropertyKey<long> FirstOutcomeAt = new("Approvals.Graph.FirstOutcomeAt");

    /// <summary>Adds the pipeline to <paramref name="builder"/>, with <paramref name="total"/> for the whole call
    /// (retries included). <paramref name="readsOnly"/> returns true for a request that changes nothing (retried after
    /// any transient failure); every other request is a write.</summary>
    public static IHttpClientBuilder AddGraphResilience(this IHttpClientBuilder builder, TimeSpan total, Func<HttpRequestMessage, bool>? readsOnly = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        readsOnly ??= request => request.Method == HttpMethod.Get || request.Method == HttpMethod.Head;
        builder.AddStandardResilienceHandler(o =>
        {
            o.TotalRequestTimeout.Timeout = total;
            var attempt = o.AttemptTimeout.Timeout;
            var standard = o.Retry.ShouldHandle;
            o.Retry.ShouldHandle = async args =>
            {
                var now = Stopwatch.GetTimestamp();
                if (!args.Context.Properties.TryGetValue(FirstOutcomeAt, out var first))
                {
                    args.Context.Properties.Set(FirstOutcomeAt, first = now);
                }

                var response = args.Outcome.Result;
                var request = args.Context.GetRequestMessage();
                var retry = request is not null && !readsOnly(request)
                    ? response?.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable
                    : await standard(args);
                // The first attempt ran before the first outcome (at most one attempt's time); the wait and the next
                // attempt come after it.
                return retry && Stopwatch.GetElapsedTime(first, now) + attempt + RetryAfter(response) + attempt <= total;
            };
        });
        return builder;
    }

    /// <summary>The wait Graph asked for (seconds, or a date), zero when it asked for none.</summary>
    static TimeSpan RetryAfter(HttpResponseMessage? response) => response?.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } when date > DateTimeOffset.UtcNow => date - DateTimeOffset.UtcNow,
        _ => TimeSpan.Zero,
    };
}
