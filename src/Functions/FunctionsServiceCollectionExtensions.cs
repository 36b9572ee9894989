using Approvals.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Functions;

/// <summary>Everything the Functions app registers, in one call a test can make too.</summary>
public static class FunctionsServiceCollectionExtensions
{
    public static IServiceCollection AddApprovalsFunctions(this IServiceCollection services, IConfiguration configuration) =>
        services
            .AddApprovalsCore(configuration)
            .AddEntraPasswordReset(configuration);
}
