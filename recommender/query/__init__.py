"""Questions asked of a model: audiences, recommendations, catalog look-ups and batch exports."""
