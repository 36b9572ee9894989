using Approvals.Core.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Approvals.Core.Indent;

/// <summary>Registers <see cref="IndentClient"/> with its auth handler and resilience pipeline.</summary>
public static class IndentServiceCollectionExtensions
{
    /// <summary>Adds the Indent client. Settings come from <c>INDENT_SPACE</c>/<c>INDENT_BASE_URL</c>, validated
    /// when the host starts; <paramref name="configure"/> may adjust them afterwards (tests, the emulator).</summary>
    public static IHttpClientBuilder AddIndentClient(this IServiceCollection services, Action<IndentOptions>? configure = null)
    {
        services.AddOptions<IndentOptions>()
            .Configure<IConfiguration>((options, configuration) =>
            {
                var read = IndentOptions.FromConfiguration(configuration);
                options.Space = read.Space;
                options.BaseUrl = read.BaseUrl;
            })
            .PostConfigure(options => configure?.Invoke(options))
            .ValidateOnStart();
        services.TryAddSingleton<ISecretProvider, ConfigurationSecretProvider>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddTransient<IndentAuthHandler>();
        services.TryAddTransient<IndentApprovals>();

        var builder = services.AddHttpClient<IndentClient>(client => client.Timeout = TimeSpan.FromMinutes(5));
        builder.AddResilienceHandler("indent", (pipeline, context) =>
        {
            var retry = context.ServiceProvider.GetRequiredService<IOptions<IndentOptions>>().Value.Retry;
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = retry.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxDelay,
                ShouldRetryAfterHeader = true,
                ShouldHandle = args =>
                {
                    var request = args.Context.GetRequestMessage();
                    if (request is not null && request.Options.TryGetValue(IndentClient.NoHttpRetry, out var noRetry) && noRetry)
                    {
                        return PredicateResult.False();
                    }

                    return ValueTask.FromResult(HttpClientResiliencePredicates.IsTransient(args.Outcome));
                },
            });
            pipeline.AddTimeout(retry.AttemptTimeout);
        });
        builder.AddHttpMessageHandler<IndentAuthHandler>();
        // IndentClient logs what matters (failures, with status and Indent's code); the factory's per-request
        // logging scopes cost more than they tell on a hot path.
        builder.RemoveAllLoggers();
        return builder;
    }
}
